package media

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// SniffLen is how many leading bytes Sniff looks at.
const SniffLen = 512

// Sniff names the type of content from its first bytes; the name a client
// gives a file and the type it claims are never trusted. Unknown binary is
// application/octet-stream; text that looks like markup is text/html (never
// served inline).
func Sniff(head []byte) string {
	h := head
	switch {
	case bytes.HasPrefix(h, []byte("\xFF\xD8\xFF")):
		return "image/jpeg"
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		return "image/gif"
	case len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP":
		return "image/webp"
	case len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WAVE":
		return "audio/wav"
	case bytes.HasPrefix(h, []byte("OggS")):
		if bytes.Contains(h, []byte("OpusHead")) || bytes.Contains(h, []byte("\x01vorbis")) {
			return "audio/ogg"
		}
		return "application/ogg"
	case bytes.HasPrefix(h, []byte("\x1A\x45\xDF\xA3")):
		if bytes.Contains(h, []byte("webm")) {
			return "audio/webm" // see kindOf: video only as a file
		}
		return "video/x-matroska"
	case bytes.HasPrefix(h, []byte("ID3")), len(h) >= 2 && h[0] == 0xFF && h[1]&0xE0 == 0xE0 && h[1]&0x06 != 0:
		return "audio/mpeg"
	case len(h) >= 12 && string(h[4:8]) == "ftyp":
		brand := string(h[8:12])
		if brand == "M4A " || brand == "M4B " {
			return "audio/mp4"
		}
		return "video/mp4"
	case bytes.HasPrefix(h, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		return "application/zip"
	case bytes.HasPrefix(h, []byte("\x1f\x8b")):
		return "application/gzip"
	case bytes.HasPrefix(h, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return "application/x-ole-storage" // old Office documents
	}
	if isText(h) {
		t := strings.ToLower(strings.TrimLeft(string(bytes.TrimPrefix(h, []byte("\xEF\xBB\xBF"))), " \t\r\n"))
		for _, p := range []string{"<!doctype html", "<html", "<head", "<script", "<body", "<iframe", "<svg", "<?xml", "<!--", "<a ", "<div", "<img", "<style", "<title", "<table"} {
			if strings.HasPrefix(t, p) {
				if p == "<svg" || p == "<?xml" && strings.Contains(t, "<svg") {
					return "image/svg+xml"
				}
				return "text/html"
			}
		}
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// isText reports whether h looks like UTF-8 text (a cut rune at the end is
// allowed: h is only the head of the content).
func isText(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	for i := 0; i < len(h); {
		c := h[i]
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' || c == 0x7f {
			return false
		}
		r, n := utf8.DecodeRune(h[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(h)-i < utf8.UTFMax && !utf8.FullRune(h[i:]) {
				return true
			}
			return false
		}
		i += n
	}
	return true
}

// IsImage reports whether mime is an image type Tack decodes (and makes
// thumbnails of). SVG is not one: it is script, and travels as a file.
func IsImage(mime string) bool {
	switch mime {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return true
	}
	return false
}

// IsAudio reports whether mime is an audio type a voice clip may have.
func IsAudio(mime string) bool {
	switch mime {
	case "audio/ogg", "audio/webm", "audio/mpeg", "audio/mp4", "audio/wav":
		return true
	}
	return false
}

// Inline reports whether content of type mime may be shown in the browser
// (Content-Disposition: inline): decoded images and audio only. HTML, SVG
// and everything else download as attachments.
func Inline(mime string) bool { return IsImage(mime) || IsAudio(mime) }
