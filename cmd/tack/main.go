// Command tack is Tack in one binary: `tack serve` runs a server node, the
// other commands are a client of a server, and `tack bench` drives load.
package main

import (
	"fmt"
	"os"
)

const usage = `tack — team chat and mobile office

Server:
  tack serve [--addr 127.0.0.1:8080] [--data ./tack-data] [--db postgres://...] [--nats nats://...]
             [--tls-cert FILE --tls-key FILE | --domain chat.example.com] [--http-addr :80]

Client (talks to --server, default http://127.0.0.1:8080 or the one you logged in to):
  tack register --login EMAIL|PHONE --name NAME  create an account (password from TACK_PASSWORD or stdin)
  tack login --login EMAIL|PHONE                 sign in (password from TACK_PASSWORD or stdin)
  tack logout                                    sign out
  tack whoami                                    who you are signed in as
  tack chats                                     your conversations with unread counts
  tack users QUERY                               find people: name, pinyin, initials (ww for 王五), email, phone
  tack new direct PERSON                         start (or find) a direct chat; PERSON: email, phone, name or ID
  tack new group --title T PERSON...             start a group
  tack send CONVERSATION TEXT...                 send a message
  tack send CONVERSATION [TEXT] --file PATH...   send images (up to 9) or a file; with --voice PATH: a voice picture
  tack send CONVERSATION --voice PATH            send a voice clip (Ogg/WebM/MP3/M4A/WAV, ≤ 60 s; --duration for non-Ogg)
  tack files get|info|url FILE_ID [-o PATH]      download a file you may see, its details, or a 10-minute link
  tack history CONVERSATION [--before SEQ]       messages, oldest first
  tack tail [CONVERSATION]                       follow live messages; resumes after a dropped connection
  tack receipts CONVERSATION SEQ                 who has read a message, who has not

Organisations and the directory:
  tack org COMMAND ...                           departments, members, invitations, import, audit ('tack org -h')

Attendance:
  tack punch --lat LAT --lng LNG [--note T]      clock in or out (the server's time counts)
  tack attendance COMMAND ...                    today, month, records, report, views ('tack attendance -h')

Approvals and leave:
  tack approvals [--box pending|done|cc|mine]    approvals waiting for you; show, approve, reject ... ('tack approvals -h')
  tack leave request|balance|types               ask for leave, see your balances and their ledger

Urgent messages and secret chats:
  tack ding --to MEMBER[,MEMBER] TEXT            a DING with confirmations and escalation ('tack ding -h')
  tack dings [--box received|sent]               your DINGs; tack confirm ID confirms one (收到)
  tack reveal CONVERSATION SEQ                   reveal a secret message (it burns after its time)
Open platform:
  tack robot list|add|reset|remove|send ...      custom robots of a group, DingTalk-compatible ('tack robot -h')
  tack app list|create|rotate|deliveries ...     apps, secrets, event deliveries and replays ('tack app -h')
  tack modules [on|off MODULE...]                the organisation's module switchboard
Your data:
  tack export [--org ORG] [-o FILE]              your own data (or, admins, the organisation's) as a ZIP ('tack export -h')
  tack retention [set DAYS|holds|hold|lift|of]   message retention and legal holds ('tack retention -h')
Operations (on the server's machine):
  tack backup [--data DIR] FILE                  an online, consistent backup of the data directory
  tack restore FILE --data DIR                   restore a backup into an empty directory

Load:
  tack bench [flags]                             drive load against a server and report ('tack bench -h')

Run 'tack COMMAND -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		if _, ok := clientCmds[cmd]; ok {
			err = runClient(cmd, args)
			break
		}
		if fn, ok := extraCommands[cmd]; ok {
			err = fn(args)
			break
		}
		fmt.Fprintf(os.Stderr, "tack: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tack:", err)
		os.Exit(1)
	}
}

// extraCommands are registered by other files of this package (bench, org).
var extraCommands = map[string]func(args []string) error{}
