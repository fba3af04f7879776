// Package notify is how a person is reached outside the app: email over
// SMTP and text messages (SMS) through a provider. Services define the
// small interfaces they need (account.Mailer, account.Texter); the types
// here implement them and cmd/tack wires them from flags.
//
// Email: SMTP, configured by `tack serve --smtp smtp://user:pass@host:port
// --smtp-from "Tack <noreply@example.com>"`. Without --smtp the server
// sends no email, and what needs it (proving that someone owns an email
// login) says so instead of pretending.
//
// Voice calls that read a text aloud (a DING's last step): Voice, the same
// way (HTTPVoice; tests use notifytest.Voice).
//
// Text messages: SMS is the interface a provider implements. Tack ships
// none: a server without one cannot send text messages, and phone logins
// cannot be verified by code (package account then falls back to an
// administrator's approval where it matters). Tests use a fake
// (notifytest.SMS).
package notify

import "context"

// SMS sends text messages.
type SMS interface {
	// SendSMS sends text to a phone number in E.164 form (+8613812345678)
	// and returns once the provider has accepted it.
	SendSMS(ctx context.Context, to, text string) error
}

// Voice places phone calls that read a text aloud.
type Voice interface {
	// Call asks the provider to call to (E.164) and read text; it returns
	// once the provider has accepted the call.
	Call(ctx context.Context, to, text string) error
}
