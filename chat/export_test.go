package chat

var AttachmentKind = attachmentKind

// Committers is how many group committers s runs.
func Committers(s *Service) int { return len(s.sends) }
