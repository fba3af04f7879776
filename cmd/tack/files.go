package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/media"
)

// multiFlag is a flag that may be given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func sendFlags(fs *flag.FlagSet, o *cliOpts) {
	fs.Var(&o.files, "file", "attach a file or image (repeat for up to 9 images)")
	fs.StringVar(&o.voice, "voice", "", "attach a voice clip (≤ 60 s); with one image --file, a voice picture")
	fs.DurationVar(&o.duration, "duration", 0, "the voice clip's length, e.g. 4.5s (read from Ogg Opus clips by the server)")
}

func filesFlags(fs *flag.FlagSet, o *cliOpts) {
	withJSON(fs, o)
	fs.StringVar(&o.out, "o", "", "get: write to this path (- for stdout; default: the file's name in the current directory)")
}

// uploadAttachments uploads --file and --voice and returns their IDs
// grouped into messages as the server takes them: one image with the voice
// clip (a voice picture), else up to 9 images together, each other file and
// the clip alone.
func (x *cli) uploadAttachments() ([][]string, error) {
	var images, others []string
	var voice string
	up := func(path, kind string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if st.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		o := client.UploadOptions{Name: filepath.Base(path), Kind: kind, Size: st.Size()}
		if kind == media.Voice {
			o.DurationMS = int(x.o.duration.Milliseconds())
		}
		fi, err := x.c.Upload(x.ctx, f, o)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		switch {
		case kind == media.Voice:
			voice = string(fi.ID)
		case fi.Kind == media.Image:
			images = append(images, string(fi.ID))
		default:
			others = append(others, string(fi.ID))
		}
		return nil
	}
	for _, p := range x.o.files {
		if err := up(p, ""); err != nil {
			return nil, err
		}
	}
	if x.o.voice != "" {
		if err := up(x.o.voice, media.Voice); err != nil {
			return nil, err
		}
	}
	var groups [][]string
	if voice != "" && len(images) == 1 {
		groups, images, voice = append(groups, []string{images[0], voice}), nil, ""
	}
	for len(images) > 0 {
		n := min(len(images), 9)
		groups, images = append(groups, images[:n]), images[n:]
	}
	for _, id := range others {
		groups = append(groups, []string{id})
	}
	if voice != "" {
		groups = append(groups, []string{voice})
	}
	return groups, nil
}

func files(x *cli, rest []string) error {
	if len(rest) != 2 {
		return x.usage()
	}
	id := rest[1]
	switch rest[0] {
	case "info":
		f, err := x.c.FileInfo(x.ctx, id)
		if err != nil {
			return err
		}
		if x.o.json {
			x.print(f)
			return nil
		}
		fmt.Printf("%s\n  %s, %s, %s\n", f.Name, f.Kind, f.MIME, humanSize(f.Size))
		if f.Width > 0 {
			fmt.Printf("  %d × %d px\n", f.Width, f.Height)
		}
		if f.DurationMS > 0 {
			fmt.Printf("  %.1f s\n", float64(f.DurationMS)/1000)
		}
		fmt.Printf("  sha256 %s\n  uploaded %s\n", f.SHA256, f.CreatedAt.Local().Format("2006-01-02 15:04"))
		return nil
	case "url":
		u, err := x.c.FileURL(x.ctx, id, false)
		if err != nil {
			return err
		}
		fmt.Println(strings.TrimRight(x.o.server, "/") + u)
		return nil
	case "get":
		resp, err := x.c.Download(x.ctx, id, false)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out := x.o.out
		if out == "" {
			_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			out = media.CleanName(params["filename"]) // never a path the server chose
		}
		var w io.Writer = os.Stdout
		if out != "-" {
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; choose another with -o", out)
			} else if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		n, err := io.Copy(w, resp.Body)
		if err != nil {
			if out != "-" {
				os.Remove(out)
			}
			return err
		}
		if out != "-" {
			fmt.Fprintf(os.Stderr, "saved %s (%s)\n", out, humanSize(n))
		}
		return nil
	}
	return x.usage()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
