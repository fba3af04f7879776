package chat

var AttachmentKind = attachmentKind
