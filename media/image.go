package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/tackhq/tack"
)

// Image limits.
const (
	ThumbMax  = 480        // longest side of a thumbnail, in pixels
	MaxPixels = 50_000_000 // larger images are refused (a decoded image takes 4 bytes a pixel)
)

// processed is an image made ready for others: its bytes without metadata
// (EXIF, XMP, comments: GPS never leaks), turned upright, its size as shown
// and a JPEG thumbnail.
type processed struct {
	data          []byte
	width, height int
	thumb         []byte
}

var errBadImage = tack.Invalid("file", "the content is not a valid image")

// processImage checks that data is a whole image of type mime and prepares
// it (see processed).
func processImage(data []byte, mime string) (processed, error) {
	var out processed
	cfg, err := decodeConfig(data, mime)
	if err != nil {
		return out, errBadImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return out, tack.Errorf(tack.ETooLarge, "images may have at most %d pixels", MaxPixels)
	}
	var img image.Image
	switch mime {
	case "image/jpeg":
		orient := exifOrientation(data)
		out.data, err = stripJPEG(data)
		if err != nil {
			return out, errBadImage
		}
		if img, err = jpeg.Decode(bytes.NewReader(data)); err != nil {
			return out, errBadImage
		}
		if orient > 1 && orient <= 8 {
			img = orientImage(img, orient)
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
				return out, fmt.Errorf("encode upright: %w", err)
			}
			out.data = b.Bytes()
		}
	case "image/png":
		if out.data, err = stripPNG(data); err != nil {
			return out, errBadImage
		}
		if img, err = png.Decode(bytes.NewReader(data)); err != nil {
			return out, errBadImage
		}
	case "image/gif":
		out.data = data
		if img, err = gif.Decode(bytes.NewReader(data)); err != nil { // the first frame
			return out, errBadImage
		}
	case "image/webp":
		if out.data, err = stripWebP(data); err != nil {
			return out, errBadImage
		}
		if img, err = webp.Decode(bytes.NewReader(data)); err != nil {
			return out, errBadImage
		}
	default:
		return out, errBadImage
	}
	b := img.Bounds()
	out.width, out.height = b.Dx(), b.Dy()
	out.thumb, err = thumbnail(img)
	return out, err
}

func decodeConfig(data []byte, mime string) (image.Config, error) {
	r := bytes.NewReader(data)
	switch mime {
	case "image/jpeg":
		return jpeg.DecodeConfig(r)
	case "image/png":
		return png.DecodeConfig(r)
	case "image/gif":
		return gif.DecodeConfig(r)
	case "image/webp":
		return webp.DecodeConfig(r)
	}
	return image.Config{}, errors.New("not an image type")
}

// thumbnail scales img to fit ThumbMax (never up) and encodes it as JPEG
// over white.
func thumbnail(img image.Image) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > ThumbMax || h > ThumbMax {
		if w >= h {
			w, h = ThumbMax, max(1, h*ThumbMax/b.Dx())
		} else {
			w, h = max(1, w*ThumbMax/b.Dy()), ThumbMax
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, xdraw.Src)
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// stripJPEG removes the metadata segments of a JPEG (APP1: EXIF and XMP,
// APP12, APP13: IPTC, COM: comments) and keeps the rest byte for byte
// (APP0 JFIF, APP2 ICC colour profiles, APP14 Adobe, tables, the scan).
func stripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, errors.New("not a JPEG")
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return nil, errors.New("jpeg: bad marker")
		}
		m := data[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xDA || m == 0xD9 { // start of scan: the rest is image data
			return append(out, data[i:]...), nil
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 {
			out = append(out, data[i:i+2]...)
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil, errors.New("jpeg: bad segment length")
		}
		drop := m == 0xE1 || m == 0xEC || m == 0xED || m == 0xFE
		if !drop {
			out = append(out, data[i:i+2+n]...)
		}
		i += 2 + n
	}
	return nil, errors.New("jpeg: no image data")
}

// exifOrientation returns the EXIF orientation (1 to 8) of a JPEG, or 0.
func exifOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) && data[i] == 0xFF {
		m := data[i+1]
		if m == 0xDA {
			return 0
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 0
		}
		seg := data[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}

// orientImage turns img upright according to an EXIF orientation, copying
// pixels four bytes at a time (a 12-megapixel photo in tens of
// milliseconds, not seconds through image.Image's At and Set).
func orientImage(img image.Image, o int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.Draw(src, src.Bounds(), img, b.Min, xdraw.Src)
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			default:
				dx, dy = x, y
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}

// stripPNG removes the text, time and EXIF chunks of a PNG.
func stripPNG(data []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, errors.New("not a PNG")
	}
	out := append(make([]byte, 0, len(data)), sig...)
	i := len(sig)
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || i+12+n > len(data) {
			return nil, errors.New("png: bad chunk length")
		}
		typ := string(data[i+4 : i+8])
		switch typ {
		case "eXIf", "tEXt", "zTXt", "iTXt", "tIME":
		default:
			out = append(out, data[i:i+12+n]...)
		}
		i += 12 + n
		if typ == "IEND" {
			return out, nil
		}
	}
	return nil, errors.New("png: no IEND")
}

// stripWebP removes the EXIF and XMP chunks of a WebP and their flags.
func stripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errors.New("not a WebP")
	}
	out := append(make([]byte, 0, len(data)), data[:12]...)
	i := 12
	for i+8 <= len(data) {
		typ := string(data[i : i+4])
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		end := i + 8 + n + n&1
		if n < 0 || i+8+n > len(data) {
			return nil, errors.New("webp: bad chunk length")
		}
		end = min(end, len(data))
		switch typ {
		case "EXIF", "XMP ":
		case "VP8X":
			c := append([]byte(nil), data[i:end]...)
			if len(c) > 8 {
				c[8] &^= 0x04 | 0x08 // XMP and EXIF present
			}
			out = append(out, c...)
		default:
			out = append(out, data[i:end]...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}
