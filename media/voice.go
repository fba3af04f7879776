package media

import (
	"bytes"
	"encoding/binary"

	"github.com/tackhq/tack"
)

// Voice limits.
const (
	MaxVoiceMS   = 60_000 // a voice clip lasts at most 60 s
	MaxWaveform  = 64     // bars of the waveform drawn for a clip
	WaveformPeak = 100    // each bar is 0..WaveformPeak
)

// oggOpusDuration returns the duration of an Ogg Opus stream from the
// granule position of its last page (48 kHz samples), or 0 if tail holds no
// page or the stream is not Opus.
func oggOpusDuration(head, tail []byte) int {
	if !bytes.Contains(head, []byte("OpusHead")) {
		return 0
	}
	var preSkip uint64
	if i := bytes.Index(head, []byte("OpusHead")); i >= 0 && i+12 <= len(head) {
		preSkip = uint64(binary.LittleEndian.Uint16(head[i+10:]))
	}
	i := bytes.LastIndex(tail, []byte("OggS"))
	if i < 0 || i+14 > len(tail) {
		return 0
	}
	g := binary.LittleEndian.Uint64(tail[i+6:])
	if g == ^uint64(0) || g < preSkip {
		return 0
	}
	return int((g - preSkip) * 1000 / 48000)
}

func validWaveform(w []int) error {
	if len(w) > MaxWaveform {
		return tack.Invalid("waveform", "a waveform has at most %d bars", MaxWaveform)
	}
	for _, v := range w {
		if v < 0 || v > WaveformPeak {
			return tack.Invalid("waveform", "waveform bars are 0 to %d", WaveformPeak)
		}
	}
	return nil
}
