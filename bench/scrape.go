package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxMetricsBody bounds a /metrics page read.
const maxMetricsBody = 4 << 20

// scrapeGauges fetches url (a Prometheus text page) and returns the
// values of the unlabelled samples named names that the page has.
func scrapeGauges(ctx context.Context, client *http.Client, url string, names ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetricsBody))
	if err != nil {
		return nil, err
	}
	page := string(body)
	vs := make(map[string]float64, len(names))
	for _, name := range names {
		v, err := parseGauge(page, name)
		switch {
		case errors.Is(err, errNoGauge):
		case err != nil:
			return nil, err
		default:
			vs[name] = v
		}
	}
	return vs, nil
}

// parseGauge finds the sample line "name value" in a Prometheus text page.
func parseGauge(page, name string) (float64, error) {
	sc := bufio.NewScanner(strings.NewReader(page))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || !strings.HasPrefix(rest, " ") {
			continue
		}
		f := strings.Fields(rest)
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q", errMetricsFormat, line)
		}
		return v, nil
	}
	return 0, fmt.Errorf("%w: %s", errNoGauge, name)
}
