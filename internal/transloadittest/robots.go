package transloadittest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"path"
	"strings"
	"time"
)

// Hosts of the URLs inside file objects. They use the reserved .invalid
// TLD so nothing ever resolves them.
const (
	tmpHost   = "tmp-sim.transloadit.invalid"
	storeHost = "sim-bucket.s3.amazonaws.invalid"
	importURL = "https://files.example.invalid/"
)

// knownMimes keeps mime choices independent of the machine's mime tables.
var knownMimes = map[string]string{
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
	"webp": "image/webp", "svg": "image/svg+xml", "mp4": "video/mp4", "mov": "video/quicktime",
	"webm": "video/webm", "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg",
	"pdf": "application/pdf", "txt": "text/plain", "json": "application/json",
	"zip": "application/zip",
}

func mimeOf(name string) string {
	_, ext := splitName(name)
	if m, ok := knownMimes[strings.ToLower(ext)]; ok {
		return m
	}
	if m := mime.TypeByExtension("." + ext); m != "" {
		m, _, _ = strings.Cut(m, ";")
		return m
	}
	return "application/octet-stream"
}

// typeOf is the API's coarse file type, null when it has none.
func typeOf(mimeType string) *string {
	major, _, _ := strings.Cut(mimeType, "/")
	switch major {
	case "image", "video", "audio":
		return ptr(major)
	}
	if mimeType == "application/pdf" {
		return ptr("pdf")
	}
	return nil
}

func splitName(name string) (base, ext string) {
	ext = strings.TrimPrefix(path.Ext(name), ".")
	base = strings.TrimSuffix(name, path.Ext(name))
	return base, ext
}

// fileID is 32 hex characters from r.
func fileID(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return hex.EncodeToString(b[:])
}

// fileFactory makes the file objects of one Assembly. It is used under the
// Server's lock (its rand is not safe for concurrent use).
type fileFactory struct {
	rng        *rand.Rand
	account    string
	assemblyID string
	tusURL     string
	now        func() time.Time
}

func (ff *fileFactory) tmpURL(scheme, id, ext string) string {
	return fmt.Sprintf("%s://%s/%s/%s/%s.%s", scheme, tmpHost, ff.account, ff.assemblyID, id, ext)
}

// upload is the uploads[] item of u.
func (ff *fileFactory) upload(u upload) wireFile {
	id := fileID(ff.rng)
	base, ext := splitName(u.name)
	sum := u.md5
	if sum == "" {
		sum = fileID(ff.rng)
	}
	f := wireFile{
		ID: id, Name: u.name, Basename: base, Ext: ext, Size: u.size,
		Mime: u.mime, Type: typeOf(u.mime), Field: ptr(u.field), MD5Hash: sum,
		OriginalID: id, OriginalBasename: base, OriginalName: u.name, OriginalPath: "/",
		OriginalMD5Hash: sum, IsTusFile: u.tus,
		URL: ff.tmpURL("http", id, ext), SSLURL: ff.tmpURL("https", id, ext),
	}
	if u.tus {
		f.TusUploadURL = ptr(ff.tusURL + ff.assemblyID + "_" + fileID(ff.rng))
	}
	f.Meta = ff.meta(f.Type, u.size)
	return f
}

// asResult adds the members only results have.
func (ff *fileFactory) asResult(f wireFile) wireFile {
	f.IsTusFile = false
	f.TusUploadURL = nil
	f.Queue = ptr("live")
	f.QueueTime = ptr(math.Round(ff.rng.Float64()*5) / 100)
	f.ExecTime = ptr(math.Round((0.2+ff.rng.Float64()*1.8)*100) / 100)
	f.Cost = ptr(f.Size + int64(ff.rng.IntN(4096)))
	return f
}

// original is the ":original" result of an upload.
func (ff *fileFactory) original(up wireFile) wireFile { return ff.asResult(up) }

// imported is the n-th file an import robot fetched.
func (ff *fileFactory) imported(n int) wireFile {
	id := fileID(ff.rng)
	name := fmt.Sprintf("imported-%d.jpg", n+1)
	base, ext := splitName(name)
	size := int64(100000 + ff.rng.IntN(900000))
	sum := fileID(ff.rng)
	f := wireFile{
		ID: id, Name: name, Basename: base, Ext: ext, Size: size,
		Mime: "image/jpeg", Type: ptr("image"), MD5Hash: sum,
		OriginalID: id, OriginalBasename: base, OriginalName: name, OriginalPath: "/",
		OriginalMD5Hash: sum,
		URL:             ff.tmpURL("http", id, ext), SSLURL: ff.tmpURL("https", id, ext),
		ImportURL: importURL + name,
	}
	f.Meta = ff.meta(f.Type, size)
	return ff.asResult(f)
}

// output is the n-th result a robot makes from input in.
func (ff *fileFactory) output(robot string, in wireFile, n, of int) wireFile {
	if passThrough(robot) {
		f := in
		if strings.HasSuffix(robot, "/store") {
			key := in.ID[:2] + "/" + in.ID[2:] + "/" + in.Name
			f.URL = "http://" + storeHost + "/" + key
			f.SSLURL = "https://" + storeHost + "/" + key
		}
		return ff.asResult(f)
	}
	f := in
	f.ID = fileID(ff.rng)
	f.ImportURL = ""
	ext, mimeType := in.Ext, in.Mime
	switch {
	case strings.HasPrefix(robot, "/image/"):
		if typ := typeOf(in.Mime); typ == nil || *typ != "image" {
			ext, mimeType = "png", "image/png"
		}
		f.Size = in.Size/3 + int64(ff.rng.IntN(1024))
	case robot == "/video/thumbs", robot == "/document/thumbs":
		ext, mimeType = "jpg", "image/jpeg"
		f.Size = 20000 + int64(ff.rng.IntN(40000))
	case robot == "/audio/waveform":
		ext, mimeType = "png", "image/png"
		f.Size = 12000 + int64(ff.rng.IntN(1000))
	case strings.HasPrefix(robot, "/video/"):
		ext, mimeType = "mp4", "video/mp4"
		f.Size = in.Size/2 + int64(ff.rng.IntN(4096))
	case strings.HasPrefix(robot, "/audio/"):
		ext, mimeType = "mp3", "audio/mpeg"
		f.Size = in.Size/2 + int64(ff.rng.IntN(4096))
	}
	base := in.Basename
	if of > 1 {
		base = fmt.Sprintf("%s_%d", base, n+1)
	}
	f.Basename, f.Ext, f.Mime, f.Type = base, ext, mimeType, typeOf(mimeType)
	f.Name = base + "." + ext
	f.MD5Hash = fileID(ff.rng)
	f.URL, f.SSLURL = ff.tmpURL("http", f.ID, ext), ff.tmpURL("https", f.ID, ext)
	f.Meta = ff.meta(f.Type, f.Size)
	if robot == "/image/facedetect" {
		f.Meta = ff.withFaces(f.Meta)
	}
	return ff.asResult(f)
}

// meta is plausible metadata for a file of that type, with the members
// the documented example and the recorded stream show.
func (ff *fileFactory) meta(typ *string, size int64) json.RawMessage {
	m := map[string]any{"date_file_modified": statusDate(ff.now())}
	kind := ""
	if typ != nil {
		kind = *typ
	}
	switch kind {
	case "image":
		w := 640 + ff.rng.IntN(3360)
		h := w * 2 / 3
		m["width"], m["height"] = w, h
		m["aspect_ratio"] = fmt.Sprintf("%.3f", float64(w)/float64(h))
		m["average_color"] = fmt.Sprintf("#%06x", ff.rng.IntN(1<<24))
		m["colorspace"] = "RGB"
		m["frame_count"] = 1
		m["has_clipping_path"] = false
		m["has_transparency"] = false
	case "video":
		dur := math.Round((5+ff.rng.Float64()*120)*1000) / 1000
		m["duration"] = dur
		m["width"], m["height"] = 1280, 720
		m["aspect_ratio"] = "1.778"
		m["framerate"] = 25
		m["video_codec"] = "h264"
		m["audio_codec"] = "aac"
		m["overall_bitrate"] = int(float64(size*8) / dur)
		m["audio_bitrate"] = 128000
		m["audio_samplerate"] = 44100
		m["audio_channels"] = 2
		m["num_audio_streams"] = 1
		m["num_video_streams"] = 1
		m["seekable"] = true
	case "audio":
		dur := math.Round((30+ff.rng.Float64()*240)*1000) / 1000
		m["duration"] = dur
		m["audio_bitrate"] = 128000
		m["audio_samplerate"] = 44100
		m["audio_channels"] = 2
		m["audio_codec"] = "mp3"
		m["num_audio_streams"] = 1
		m["overall_bitrate"] = int(float64(size*8) / dur)
	}
	b, _ := json.Marshal(m)
	return b
}

func (ff *fileFactory) withFaces(meta json.RawMessage) json.RawMessage {
	var m map[string]any
	_ = json.Unmarshal(meta, &m)
	m["faces"] = []map[string]any{{
		"confidence": 99.99, "x1": 981, "y1": 121, "x2": 1550, "y2": 891, "width": 621, "height": 840,
	}}
	b, _ := json.Marshal(m)
	return b
}
