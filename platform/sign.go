package platform

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
)

// DingTalkSign returns DingTalk's robot signature of a timestamp (Unix
// milliseconds, as sent): base64(HMAC-SHA256(key = secret, message =
// timestamp + "\n" + secret)), before URL encoding. A request carries it
// URL-encoded in its sign parameter; net/url decodes it back to this.
func DingTalkSign(secret string, timestampMS int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMS, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// EventSignature returns the X-Tack-Signature header of an event
// delivery: "sha256=" + hex(HMAC-SHA256(key = secret, message = timestamp +
// "\n" + body)), timestamp being the X-Tack-Timestamp header (Unix
// milliseconds) as sent.
func EventSignature(secret string, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n"))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyEventSignature reports whether sig is EventSignature(secret,
// timestamp, body), in constant time.
func VerifyEventSignature(secret, timestamp string, body []byte, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(EventSignature(secret, timestamp, body)))
}

// random returns n random bytes as lower-case hex.
func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// hashSecret is how tokens and client secrets are kept: SHA-256 in hex.
// They are 256-bit random values, so a fast hash is enough.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// HashToken is the stored form of a robot access token, an app access
// token or a client secret.
func HashToken(s string) string { return hashSecret(s) }

func hmacEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
