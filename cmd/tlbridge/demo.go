package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
)

// demoTick is the simulator's time unit in the demo, chosen so the whole
// run takes several seconds: slow enough to watch, quick enough to wait for.
const demoTick = 400 * time.Millisecond

func writeDemoUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: tlbridge demo [flags]

Runs everything in one process: an embedded NATS server with JetStream, the
Transloadit API simulator and the bridge. It creates a few scripted
Assemblies (uploads and several Steps; one fails, one is canceled, one
only imports), asks for each to be watched over the NATS intake like any
client would, and prints every event as it arrives on the stream, then a
summary. It exits 0 when every Assembly reached its terminal event.

Nothing is read from TLBRIDGE_* variables, and nothing outside this process
is contacted.
`)
}

// demoAssembly is one scripted Assembly of the demo and what was seen of it.
type demoAssembly struct {
	name   string
	script transloadittest.Script
	want   schemas.Type // the terminal event the script leads to
	byID   bool         // watch by ID alone (status from the API base)

	id       string
	events   int
	terminal schemas.Type
}

func demoAssemblies() []*demoAssembly {
	original := transloadittest.Step{Name: ":original", Robot: "/upload/handle"}
	return []*demoAssembly{{
		name: "photos",
		want: schemas.TypeCompleted,
		script: transloadittest.Script{
			Uploads: []transloadittest.Upload{{Name: "beach.jpg", Size: 2_412_000}, {Name: "portrait.png", Size: 1_108_000}},
			Steps: []transloadittest.Step{original,
				{Name: "resized", Robot: "/image/resize", Use: ":original"},
				{Name: "thumbs", Robot: "/image/resize", Use: ":original"},
				{Name: "stored", Robot: "/s3/store", Use: "resized"}},
		},
	}, {
		name: "video",
		want: schemas.TypeCompleted,
		script: transloadittest.Script{
			Uploads: []transloadittest.Upload{{Name: "keynote.mp4", Size: 48_200_000}},
			Steps: []transloadittest.Step{original,
				{Name: "encoded", Robot: "/video/encode", Use: ":original"},
				{Name: "thumbnails", Robot: "/video/thumbs", Use: ":original", Results: 3}},
			EmitExecutionProgress: true,
		},
	}, {
		name: "broken-pdf",
		want: schemas.TypeFailed,
		script: transloadittest.Script{
			Uploads: []transloadittest.Upload{{Name: "report.pdf", Size: 830_000}},
			Steps: []transloadittest.Step{original,
				{Name: "preview", Robot: "/document/thumbs", Use: ":original"},
				{Name: "converted", Robot: "/document/convert", Use: ":original"}},
			FailStep: "converted",
			FailCode: transloadit.CodeInternalCommandErr,
		},
	}, {
		name: "canceled",
		want: schemas.TypeCanceled,
		script: transloadittest.Script{
			Uploads: []transloadittest.Upload{{Name: "a.jpg"}, {Name: "b.jpg"}, {Name: "c.jpg"}},
			Steps: []transloadittest.Step{original,
				{Name: "resized", Robot: "/image/resize", Use: ":original"}},
			CancelAfterResults: 4,
		},
	}, {
		name: "import",
		want: schemas.TypeCompleted,
		byID: true,
		script: transloadittest.Script{
			Uploads: []transloadittest.Upload{},
			Steps: []transloadittest.Step{
				{Name: "imported", Robot: "/http/import", Results: 2},
				{Name: "resized", Robot: "/image/resize", Use: "imported"}},
		},
	}}
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 60*time.Second, "give up when the Assemblies have not all finished by then")
	tick := fs.Duration("tick", demoTick, "the simulator's time unit; smaller runs the demo faster")
	verbose := fs.Bool("v", false, "log the bridge's info lines to stderr (default: warnings only)")
	usage := func(w io.Writer) { writeDemoUsage(w); writeFlagDefaults(w, fs) }
	if ok, code := parseFlags(fs, args, usage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 || *timeout <= 0 || *tick <= 0 {
		fmt.Fprintf(stderr, "tlbridge demo: takes no arguments, and -timeout and -tick must be positive\n")
		return exitUsage
	}
	level := "warn"
	if *verbose {
		level = "info"
	}
	d := &demo{out: stdout, log: newLogger(stderr, level, "console"), tick: *tick, timeout: *timeout}
	if err := d.run(ctx); err != nil {
		fmt.Fprintf(stderr, "tlbridge demo: %v\n", err)
		return exitFailure
	}
	return exitOK
}

type demo struct {
	out     io.Writer
	log     *zap.Logger
	tick    time.Duration
	timeout time.Duration

	assemblies []*demoAssembly
	byID       map[string]*demoAssembly
}

// demoConfig is the bridge's configuration inside the demo: the embedded
// server in dir, the simulator's loopback host allowed over plain http
// (only here), HTTP on a free loopback port.
func demoConfig(sim *transloadittest.Server, dir string) Config {
	cfg := defaultConfig()
	cfg.DataDir = dir
	cfg.APIBase = sim.URL
	cfg.AllowedHosts = sim.AllowList().HostSuffixes
	cfg.AllowHTTP = true
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Instance = "demo"
	cfg.PollInterval = 500 * time.Millisecond
	cfg.ShutdownTimeout = 10 * time.Second
	return cfg
}

func (d *demo) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "tlbridge-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sim := transloadittest.NewServer(transloadittest.WithTick(d.tick))
	defer sim.Close()

	cfg := demoConfig(sim, dir)
	a := newApp(cfg, d.log, appOptions{EmbeddedPort: -1})
	if err := a.Start(ctx); err != nil {
		return err
	}
	defer a.Shutdown()
	fmt.Fprintf(d.out, "tlbridge demo\n  NATS       %s (embedded, JetStream stream %s)\n  simulator  %s\n  metrics    http://%s/metrics\n\n",
		a.embedded.ClientURL(), cfg.StreamName, sim.URL, a.httpAddr())

	nc, err := nats.Connect(a.embedded.ClientURL(), nats.Name("tlbridge-demo-client"))
	if err != nil {
		return fmt.Errorf("client connect: %w", err)
	}
	defer nc.Close()
	if err := awaitReady(ctx, a); err != nil {
		return err
	}
	events, stop, err := subscribe(ctx, nc, cfg)
	if err != nil {
		return err
	}
	defer stop()
	if err := d.start(ctx, sim, nc, cfg.SubjectPrefix); err != nil {
		return err
	}
	err = d.follow(ctx, events)
	d.summary()
	if err != nil {
		return err
	}
	return d.check()
}

// awaitReady waits until the bridge reports ready (stream ensured).
func awaitReady(ctx context.Context, a *app) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for a.ready() != nil {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the bridge did not become ready: %v", a.ready())
		case <-t.C:
		}
	}
	return nil
}

// demoSeen, when set (by tests), is given the bytes of every event the
// demo's subscriber receives, so they can be checked against the schemas.
var demoSeen func(data []byte)

// subscribe follows every Assembly event on the stream with an ordered
// consumer, as a consumer application would. stop ends the subscription
// and waits for its goroutine.
func subscribe(ctx context.Context, nc *nats.Conn, cfg Config) (<-chan *schemas.Event, func(), error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, err
	}
	cons, err := js.OrderedConsumer(ctx, cfg.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{schemas.AllSubjects(cfg.SubjectPrefix)},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, nil, fmt.Errorf("consumer: %w", err)
	}
	out := make(chan *schemas.Event, 64)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		for {
			msg, err := it.Next()
			if err != nil {
				return // the iterator was stopped
			}
			if demoSeen != nil {
				demoSeen(msg.Data())
			}
			ev, err := schemas.Decode(msg.Data())
			if err != nil {
				ev = &schemas.Event{Subject: msg.Subject(), Type: "undecodable: " + schemas.Type(err.Error())}
			}
			select {
			case out <- ev:
			case <-done:
				return
			}
		}
	}()
	stop := func() {
		close(done)
		it.Stop()
		wg.Wait()
	}
	return out, stop, nil
}

// start creates the scripted Assemblies and asks the bridge to watch each
// over the NATS intake.
func (d *demo) start(ctx context.Context, sim *transloadittest.Server, nc *nats.Conn, prefix string) error {
	d.assemblies = demoAssemblies()
	d.byID = make(map[string]*demoAssembly)
	for _, da := range d.assemblies {
		st, err := sim.Create(ctx, da.script)
		if err != nil {
			return fmt.Errorf("create %s: %w", da.name, err)
		}
		da.id = st.AssemblyID
		d.byID[da.id] = da
		req := schemas.WatchRequest{AssemblyID: st.AssemblyID}
		if !da.byID {
			req.AssemblySSLURL, req.UpdateStreamURL = st.AssemblySSLURL, st.UpdateStreamURL
		}
		reply, err := consume.Watch(ctx, nc, req, consume.WithPrefix(prefix))
		if err != nil {
			return fmt.Errorf("watch %s: %w", da.name, err)
		}
		fmt.Fprintf(d.out, "watching %-10s %s  -> %s\n", da.name, da.id, reply.Subject)
	}
	fmt.Fprintln(d.out)
	return nil
}

// follow prints events until every Assembly had its terminal event.
func (d *demo) follow(ctx context.Context, events <-chan *schemas.Event) error {
	for pending := len(d.assemblies); pending > 0; {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("timed out after %v with %d of %d Assemblies unfinished: %s",
					d.timeout, pending, len(d.assemblies), strings.Join(d.unfinished(), ", "))
			}
			return fmt.Errorf("interrupted with %d Assemblies unfinished", pending)
		case ev, ok := <-events:
			if !ok {
				return errors.New("the event subscription ended early")
			}
			if d.record(ev) {
				pending--
			}
		}
	}
	return nil
}

// record counts and prints ev; it reports whether ev finished its Assembly.
func (d *demo) record(ev *schemas.Event) bool {
	fmt.Fprintln(d.out, d.describe(ev))
	b := ev.Base()
	if b == nil {
		return false
	}
	da := d.byID[b.AssemblyID]
	if da == nil {
		return false
	}
	da.events++
	if ev.Type.Terminal() && da.terminal == "" {
		da.terminal = ev.Type
		return true
	}
	return false
}

func (d *demo) unfinished() []string {
	var out []string
	for _, da := range d.assemblies {
		if da.terminal == "" {
			out = append(out, da.name)
		}
	}
	return out
}

// describe renders one event as it arrives, labelled with its script's
// name.
func (d *demo) describe(ev *schemas.Event) string {
	name := "?"
	if b := ev.Base(); b != nil {
		if da := d.byID[b.AssemblyID]; da != nil {
			name = da.name
		}
	}
	// The arrival time, not the event's observation time: the log reads
	// as a timeline of what a consumer sees.
	return eventLine(time.Now(), name, ev)
}

// eventLine renders one event as one line, such as
// "12:00:01.123  photos      3f2a9c…  step.result           resized  beach.jpg (512 KB)".
// name labels the Assembly (the demo's script names) and shortens its ID;
// without a name the column is left out and the ID shown whole, as tail
// does, so it can be copied.
func eventLine(at time.Time, name string, ev *schemas.Event) string {
	id := "?"
	if b := ev.Base(); b != nil {
		id = b.AssemblyID
	}
	head := at.Format("15:04:05.000") + "  "
	if name != "" {
		head += fmt.Sprintf("%-10s  ", name)
		id = shortID(id)
	}
	return strings.TrimRight(fmt.Sprintf("%s%s  %-21s %s", head, id, ev.Type, eventDetail(ev)), " ")
}

func shortID(id string) string {
	if len(id) <= 6 {
		return id
	}
	return id[:6] + "…"
}

// eventDetail is the human part of an event line: what happened, briefly.
func eventDetail(ev *schemas.Event) string {
	switch p := ev.Data.(type) {
	case *schemas.UploadProgress:
		if p.BytesExpected != nil {
			return fmt.Sprintf("%s of %s", humanBytes(p.BytesReceived), humanBytes(*p.BytesExpected))
		}
		return humanBytes(p.BytesReceived)
	case *schemas.UploadFinished:
		return fileDetail(p.Upload)
	case *schemas.UploadMetaExtracted:
		return plural(p.Uploads, "upload")
	case *schemas.ExecutionProgress:
		return fmt.Sprintf("%.0f%%", p.ProgressCombined)
	case *schemas.StepResult:
		return p.Step + "  " + fileDetail(p.Result)
	case *schemas.Warning:
		return strings.TrimSpace(p.Level + ": " + p.Msg)
	case *schemas.Completed:
		return summaryDetail(p.Summary)
	case *schemas.Failed:
		return strings.TrimSpace(p.Error+" "+p.Message) + "  (" + summaryDetail(p.Summary) + ")"
	case *schemas.Canceled:
		return summaryDetail(p.Summary)
	case *schemas.Aborted:
		return summaryDetail(p.Summary)
	case *schemas.WatchExpired:
		return strings.TrimSpace(p.Reason + " " + p.Detail)
	case *schemas.WatchFailed:
		return strings.TrimSpace(p.Reason + " " + p.Detail)
	}
	return ""
}

func fileDetail(f schemas.File) string {
	name := f.Name
	if name == "" {
		name = f.Basename + "." + f.Ext
	}
	if f.Size > 0 {
		return fmt.Sprintf("%s (%s)", name, humanBytes(f.Size))
	}
	return name
}

func summaryDetail(s schemas.Summary) string {
	var steps []string
	for _, st := range s.Steps {
		steps = append(steps, fmt.Sprintf("%s %d", st.Name, st.Results))
	}
	out := plural(s.Uploads, "upload") + ", " + plural(s.Results, "result")
	if len(steps) > 0 {
		out += " [" + strings.Join(steps, ", ") + "]"
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// summary prints one row per Assembly: its events and terminal event.
func (d *demo) summary() {
	fmt.Fprintf(d.out, "\nSummary\n")
	tw := tabwriter.NewWriter(d.out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tASSEMBLY\tEVENTS\tTERMINAL")
	for _, da := range d.assemblies {
		term := string(da.terminal)
		if term == "" {
			term = "(none yet)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", da.name, da.id, da.events, term)
	}
	tw.Flush()
}

// check compares each terminal event with the one its script leads to.
func (d *demo) check() error {
	var wrong []string
	for _, da := range d.assemblies {
		if da.terminal != da.want {
			wrong = append(wrong, fmt.Sprintf("%s ended %s, want %s", da.name, da.terminal, da.want))
		}
	}
	if len(wrong) > 0 {
		return errors.New(strings.Join(wrong, "; "))
	}
	fmt.Fprintf(d.out, "\nAll %d Assemblies reached their terminal event.\n", len(d.assemblies))
	return nil
}
