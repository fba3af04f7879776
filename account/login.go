package account

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"

	"github.com/tackhq/tack"
)

// DefaultRegion is the country whose numbering plan applies to phone numbers
// written without a country code: 13812345678 is +86 138 1234 5678.
const DefaultRegion = "CN"

// NormalizeLogin validates a login (an email address or a phone number) and
// returns its one canonical spelling, so that two ways of writing the same
// login are one account and two logins that merely look alike are refused
// or stay apart:
//
//   - invisible characters (zero-width spaces and joiners, bidi controls,
//     soft hyphens, ...) and control characters are refused;
//   - full-width and other compatibility forms fold to plain ones (NFKC):
//     ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ is ada@example.com;
//   - an email address must then be ASCII (an internationalised domain in
//     its xn-- form), so Cyrillic or Greek look-alikes of Latin letters
//     cannot register; it is lower-cased;
//   - a phone number becomes E.164 (+8613812345678); numbers without a
//     country code are read in DefaultRegion, and must be valid numbers
//     there.
func NormalizeLogin(login string) (string, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return "", tack.Invalid("login", "login is required")
	}
	if len(login) > 254 {
		return "", tack.Invalid("login", "login is longer than 254 characters")
	}
	if strings.ContainsAny(norm.NFKC.String(login), "@＠") {
		return NormalizeEmail("login", login)
	}
	return normalizePhone("login", login, true)
}

// NormalizeEmail is NormalizeLogin for a field that must hold an email
// address; "" stays "". field names the input in errors.
func NormalizeEmail(field, e string) (string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return "", nil
	}
	if err := visible(field, e); err != nil {
		return "", err
	}
	e = norm.NFKC.String(e)
	if len(e) > 254 {
		return "", tack.Invalid(field, "%s is longer than 254 characters", field)
	}
	for i := 0; i < len(e); i++ {
		if e[i] >= utf8.RuneSelf {
			return "", tack.Invalid(field, "%s must be written in ASCII letters (an internationalised domain in its xn-- form)", field)
		}
	}
	e = strings.ToLower(e)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e, "@") || strings.ContainsAny(e, " \"\\") {
		return "", tack.Invalid(field, "%s is not a valid email address", field)
	}
	return e, nil
}

// NormalizePhone is NormalizeLogin for a field that holds a phone number
// of the directory: E.164, "" stays "". It accepts any number of a
// possible length for its country (logins must be valid numbers).
func NormalizePhone(field, p string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", nil
	}
	return normalizePhone(field, p, false)
}

func normalizePhone(field, p string, strict bool) (string, error) {
	p = strings.TrimSpace(p)
	if err := visible(field, p); err != nil {
		return "", err
	}
	p = norm.NFKC.String(p)
	var b strings.Builder
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			if field == "login" {
				return "", tack.Invalid(field, "login must be an email address or a phone number")
			}
			return "", tack.Invalid(field, "%s is not a phone number", field)
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 5 || len(digits) > 17 {
		return "", tack.Invalid(field, "a phone number has 5 to 17 digits")
	}
	n, err := phonenumbers.Parse(b.String(), DefaultRegion)
	if err != nil {
		return "", tack.Invalid(field, "%s is not a phone number (write +country code for numbers outside China)", field)
	}
	if strict && !phonenumbers.IsValidNumber(n) || !strict && !phonenumbers.IsPossibleNumber(n) {
		return "", tack.Invalid(field, "%s is not a valid phone number (write +country code for numbers outside China)", field)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// visible refuses control and invisible characters.
func visible(field, s string) error {
	if !utf8.ValidString(s) {
		return tack.Invalid(field, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || tack.Invisible(r) {
			return tack.Invalid(field, "%s contains an invisible or control character", field)
		}
	}
	return nil
}

// IsPhone reports whether a login is a phone number.
func IsPhone(login string) bool { return login != "" && !strings.Contains(login, "@") }

// LoginSpellings returns login and the other spellings under which the same
// login may be stored: older versions of Tack kept phone numbers as typed,
// digits only, so +8613812345678 may be stored as 13812345678 or
// 8613812345678, and such an old login has +8613812345678 as its E.164
// form. Sign-in and invitations look under each.
func LoginSpellings(login string) []string {
	out := []string{login}
	if !IsPhone(login) {
		return out
	}
	n, err := phonenumbers.Parse(login, DefaultRegion)
	if err != nil {
		return out
	}
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	cc := strconv.Itoa(int(n.GetCountryCode()))
	for _, s := range []string{phonenumbers.Format(n, phonenumbers.E164), cc + nsn, nsn, "0" + nsn} {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// e164 returns a phone login in E.164 form (logins stored by older
// versions may lack it).
func e164(login string) string {
	if n, err := phonenumbers.Parse(login, DefaultRegion); err == nil {
		return phonenumbers.Format(n, phonenumbers.E164)
	}
	return login
}

// ValidateName checks and normalises a display name: see tack.CleanName
// (1 to 64 characters, no invisible or control characters). It returns the
// cleaned name.
func ValidateName(name string) (string, error) {
	return tack.CleanName("name", name, 64)
}

func validatePassword(field, p string) error {
	if utf8.RuneCountInString(p) < 8 {
		return tack.Invalid(field, "password must have at least 8 characters")
	}
	if len(p) > 256 {
		return tack.Invalid(field, "password is longer than 256 bytes")
	}
	return nil
}
