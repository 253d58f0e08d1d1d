package main

import (
	"bytes"
	"strconv"
	"strings"
)

// resultTemplate is a result of the recorded update stream in
// internal/transloadit/testdata (a waveform PNG, about 1.8 KB), with
// {{asm}} and {{res}} where its Assembly ID and result ID go.
const resultTemplate = `{"id":"{{res}}","name":"both-anthems.png","basename":"both-anthems","ext":"png","size":12224,"mime":"image/png","type":"image","field":"file","md5hash":"5d24d47ec4fc3580e22d3be0d36a3630","original_id":"e48cdd96971c4485976bce09cbc32a78","original_basename":"both-anthems","original_name":"both-anthems.mp3","original_path":"/","original_md5hash":"0dcc80c8656f453985c8ca42cd8e6202","from_batch_import":false,"is_tus_file":false,"tus_upload_url":null,"url":"http://tmp-eu-west-1.transloadit.net/ffffffffffffffffffffffffffffffff/{{asm}}/{{res}}.png","ssl_url":"https://tmp-eu-west-1.transloadit.net/ffffffffffffffffffffffffffffffff/{{asm}}/{{res}}.png","meta":{"width":1364,"height":410,"svgViewBoxWidth":null,"svgViewBoxHeight":null,"date_recorded":null,"date_file_created":null,"date_file_modified":"2024/08/28 13:26:57 GMT","title":null,"description":null,"duration":null,"location":null,"aspect_ratio":3.327,"city":null,"state":null,"country":null,"country_code":null,"keywords":null,"aperture":null,"exposure_compensation":null,"exposure_mode":null,"exposure_time":null,"flash":null,"focal_length":null,"f_number":null,"iso":null,"light_value":null,"metering_mode":null,"shutter_speed":null,"white_balance":null,"device_name":null,"device_vendor":null,"device_software":null,"latitude":null,"longitude":null,"orientation":null,"has_clipping_path":false,"creator":null,"author":null,"copyright":null,"copyright_notice":null,"frame_count":1,"colorspace":"RGB","has_transparency":null,"dominant_colors":null,"average_color":"#dbe9f6","xp_title":null,"xp_comment":null,"xp_keywords":null,"xp_subject":null},"user_meta":{"filetype":"audio/mpeg","name":"both-anthems.mp3","relativePath":"null","type":"audio/mpeg"},"as":null,"queue":"live","queue_time":0.01,"exec_time":0.4,"cost":1048576,"is_temp_url":true}`

// uploadTemplate is the first upload of the same recording.
const uploadTemplate = `{"id":"e48cdd96971c4485976bce09cbc32a78","name":"both-anthems.mp3","basename":"both-anthems","ext":"mp3","size":932929,"mime":"audio/mpeg","type":"audio","field":"file","md5hash":"0dcc80c8656f453985c8ca42cd8e6202","original_id":"e48cdd96971c4485976bce09cbc32a78","original_basename":"both-anthems","original_name":"both-anthems.mp3","original_path":"/","original_md5hash":"0dcc80c8656f453985c8ca42cd8e6202","from_batch_import":false,"is_tus_file":true,"tus_upload_url":"https://api2-berlin8.transloadit.com/resumable/files/{{asm}}_e49a39492c57ef94f9aebd15d73b211d","url":"http://tmp-eu-west-1.transloadit.net/ffffffffffffffffffffffffffffffff/{{asm}}/e48cdd96971c4485976bce09cbc32a78.mp3","ssl_url":"https://tmp-eu-west-1.transloadit.net/ffffffffffffffffffffffffffffffff/{{asm}}/e48cdd96971c4485976bce09cbc32a78.mp3","meta":{"duration":58.044,"mean_volume":null,"audio_bitrate":128000,"overall_bitrate":128000,"audio_samplerate":44100,"audio_channels":2,"audio_codec":"ffmp3float","encoder":null,"beats_per_minute":null,"bit_depth":null,"album":null,"year":null,"genre":"Other","artist":null,"comment":"%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20%20","performer":null,"lyrics":null,"title":"Het%20Wilhelmus%20-%20The%20Nederlands","band":null,"disc":null,"track":null,"has_artwork":false},"user_meta":{"filetype":"audio/mpeg","name":"both-anthems.mp3","relativePath":"null","type":"audio/mpeg"},"as":null,"is_temp_url":true}`

// resultStep is the Step every result belongs to.
const resultStep = "waveformed"

// template is a text split at its placeholders, so rendering is appends.
type template struct {
	parts []string // text between placeholders
	holes []string // the placeholder after each part but the last
}

func parseTemplate(s string) template {
	var t template
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.parts = append(t.parts, s)
			return t
		}
		j := strings.Index(s[i:], "}}")
		t.parts = append(t.parts, s[:i])
		t.holes = append(t.holes, s[i+2:i+j])
		s = s[i+j+2:]
	}
}

// render appends the template with its holes filled from vars.
func (t template) render(b *bytes.Buffer, vars map[string]string) {
	for i, p := range t.parts {
		b.WriteString(p)
		if i < len(t.holes) {
			b.WriteString(vars[t.holes[i]])
		}
	}
}

var (
	resultTpl = parseTemplate(resultTemplate)
	uploadTpl = parseTemplate(uploadTemplate)
)

// payloads renders the bodies the load source serves for one phase.
type payloads struct {
	ids  ids
	base string // the load source's URL
}

func (p payloads) statusURL(asm int) string {
	return p.base + "/assemblies/" + p.ids.assembly(asm)
}

func (p payloads) streamURL(asm int) string {
	return p.base + "/ws1?assembly=" + p.ids.assembly(asm)
}

// resultFrame appends the update-stream frame announcing result res.
func (p payloads) resultFrame(b *bytes.Buffer, asm, res int) {
	b.WriteString("event: assembly_result_finished\ndata: [\"" + resultStep + "\",")
	p.result(b, asm, res)
	b.WriteString("]\n\n")
}

func (p payloads) result(b *bytes.Buffer, asm, res int) {
	resultTpl.render(b, map[string]string{"asm": p.ids.assembly(asm), "res": p.ids.result(asm, res)})
}

// status appends the Assembly Status with results [0, produced): executing
// until finished, then completed.
func (p payloads) status(b *bytes.Buffer, asm, produced int, finished bool) {
	id := p.ids.assembly(asm)
	state := "ASSEMBLY_EXECUTING"
	msg := "Processing the Assembly."
	if finished {
		state, msg = "ASSEMBLY_COMPLETED", "The Assembly was successfully completed."
	}
	b.WriteString(`{"ok":"` + state + `","message":"` + msg + `","assembly_id":"` + id + `",`)
	b.WriteString(`"account_id":"ffffffffffffffffffffffffffffffff","instance":"127.0.0.1",`)
	b.WriteString(`"assembly_url":"` + p.statusURL(asm) + `","assembly_ssl_url":"` + p.statusURL(asm) + `",`)
	b.WriteString(`"websocket_url":"` + p.base + `/ws1","update_stream_url":"` + p.streamURL(asm) + `",`)
	b.WriteString(`"bytes_received":932929,"bytes_expected":932929,"upload_meta_data_extracted":true,`)
	b.WriteString(`"start_date":"2026/01/01 00:00:00 GMT","execution_start":"2026/01/01 00:00:01 GMT",`)
	b.WriteString(`"uploads":[`)
	uploadTpl.render(b, map[string]string{"asm": id})
	b.WriteString(`],"results":{"` + resultStep + `":[`)
	for r := range produced {
		if r > 0 {
			b.WriteByte(',')
		}
		p.result(b, asm, r)
	}
	b.WriteString(`]},"warnings":[],"fields":{},"executing_jobs":[],"bytes_usage":` + strconv.Itoa(932929+produced*12224) + `}`)
}
