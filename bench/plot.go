package main

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// minPlotMs keeps zero latencies (below the clock's resolution) on the
// log scale.
const minPlotMs = 0.001

// boxHalfWidth is half a box's width in units of the category axis.
const boxHalfWidth = 0.3

// writePlot renders the latency distributions of rs side by side on a
// logarithmic axis and writes them to path as SVG. Each column is a box
// from p25 to p75 with a line at p50, whiskers from p1 to p99 and a dot at
// the maximum: the percentiles the table reports, where a classic box
// plot's 1.5 IQR whiskers mean little on a log scale.
func writePlot(path, title string, rs []result) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "delivery latency (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var labels []string
	for i, r := range rs {
		if len(r.Latency) == 0 {
			continue
		}
		x := float64(len(labels))
		if err := addBox(p, x, r.Latency, palette(i)); err != nil {
			return fmt.Errorf("plot %s: %w", r.Target, err)
		}
		labels = append(labels, fmt.Sprintf("%s\np50 %s  p99 %s ms", r.Target, decimal(ms(r.Latency.quantile(0.5))), decimal(ms(r.Latency.quantile(0.99)))))
	}
	if len(labels) == 0 {
		return fmt.Errorf("plot: no latencies to draw")
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4
	p.Add(plotter.NewGrid())
	return savePlot(p, path, vg.Length(max(3, len(labels)))*2.4*vg.Inch, 4*vg.Inch)
}

// addBox draws one distribution at x.
func addBox(p *plot.Plot, x float64, d distribution, fill color.Color) error {
	q := func(f float64) float64 { return max(ms(d.quantile(f)), minPlotMs) }
	lo, hi := x-boxHalfWidth, x+boxHalfWidth
	box, err := plotter.NewPolygon(plotter.XYs{{X: lo, Y: q(0.25)}, {X: hi, Y: q(0.25)}, {X: hi, Y: q(0.75)}, {X: lo, Y: q(0.75)}})
	if err != nil {
		return err
	}
	box.Color = fill
	lines := []plotter.XYs{
		{{X: lo, Y: q(0.5)}, {X: hi, Y: q(0.5)}}, // median
		{{X: x, Y: q(0.01)}, {X: x, Y: q(0.25)}}, // lower whisker
		{{X: x, Y: q(0.75)}, {X: x, Y: q(0.99)}}, // upper whisker
		{{X: x - 0.1, Y: q(0.01)}, {X: x + 0.1, Y: q(0.01)}},
		{{X: x - 0.1, Y: q(0.99)}, {X: x + 0.1, Y: q(0.99)}},
	}
	p.Add(box)
	for _, pts := range lines {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Width = vg.Points(1.2)
		p.Add(l)
	}
	maxDot, err := plotter.NewScatter(plotter.XYs{{X: x, Y: q(1)}})
	if err != nil {
		return err
	}
	maxDot.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Radius: vg.Points(3)}
	p.Add(maxDot)
	return nil
}

func savePlot(p *plot.Plot, path string, w, h vg.Length) error {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := wt.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
