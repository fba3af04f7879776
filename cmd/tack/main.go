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

Client (talks to --server, default http://127.0.0.1:8080 or the one you logged in to):
  tack register --server URL --login EMAIL|PHONE --name NAME   (password from TACK_PASSWORD or stdin)
  tack login    --server URL --login EMAIL|PHONE               (password from TACK_PASSWORD or stdin)
  tack logout
  tack whoami
  tack chats                          your conversations with unread counts
  tack new direct USER_ID             start (or find) a direct chat
  tack new group --title T USER_ID... start a group
  tack send CONVERSATION TEXT...      send a message
  tack history CONVERSATION [--before SEQ] [--limit N]
  tack tail [CONVERSATION]            follow live messages; resumes after a dropped connection
  tack receipts CONVERSATION SEQ      who has read a message, who has not

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
	case "register", "login", "logout", "whoami", "chats", "new", "send", "history", "tail", "receipts":
		err = runClient(cmd, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
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
