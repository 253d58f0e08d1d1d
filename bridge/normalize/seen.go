package normalize

import (
	"hash/maphash"
	"strconv"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// seenSet tracks one upstream array (the uploads, or one Step's results):
// the keys of the entries emitted, and how much of the array the last
// status showed, so the next diff can start past it.
type seenSet struct {
	order []string // the keys, as added
	// tags holds a hash of each key of order while the set is small: a key
	// is looked for among them, and compared only where its tag matches.
	// The keys are ids of equal length, which compare byte by byte.
	tags []uint32
	// index holds the keys once there are more than smallSet of them, and
	// tags is dropped.
	index    map[string]struct{}
	verified int    // entries of the last status's array, all emitted
	first    string // key of entry 0 of that array
	last     string // key of entry verified-1
}

// smallSet is how many keys a seenSet looks through before it indexes
// them. Most Steps have a handful of results, and a map of 60 keys holds
// about 3.5 KB besides the keys: a watch keeps one per Step for its life.
// Their 64 tags take 256 bytes and are scanned in tens of nanoseconds,
// once per new entry and once per result of each status fetched.
const smallSet = 64

// tagSeed makes the tags of one process; they are never stored.
var tagSeed = maphash.MakeSeed()

func tagOf(key string) uint32 { return uint32(maphash.String(tagSeed, key)) }

func (s *seenSet) len() int { return len(s.order) }

func (s *seenSet) has(key string) bool {
	if s.index != nil {
		_, ok := s.index[key]
		return ok
	}
	return s.find(key, tagOf(key))
}

func (s *seenSet) find(key string, tag uint32) bool {
	for i, t := range s.tags {
		if t == tag && s.order[i] == key {
			return true
		}
	}
	return false
}

// add records key and reports whether it was new.
func (s *seenSet) add(key string) bool {
	if s.index != nil {
		if _, ok := s.index[key]; ok {
			return false
		}
		s.order = append(s.order, key)
		s.index[key] = struct{}{}
		return true
	}
	tag := tagOf(key)
	if s.find(key, tag) {
		return false
	}
	s.order = append(s.order, key)
	s.tags = append(s.tags, tag)
	if len(s.order) > smallSet {
		s.index = make(map[string]struct{}, len(s.order))
		for _, k := range s.order {
			s.index[k] = struct{}{}
		}
		s.tags = nil
	}
	return true
}

// diff calls emit, in array order, for each entry not seen before. Upstream
// only appends, so it examines the entries past the verified prefix; if
// the array no longer starts and ends that prefix as before, it falls back
// to examining every entry against the seen keys.
func (s *seenSet) diff(files []transloadit.File, scanned *int, emit func(key string, f *transloadit.File)) {
	start := s.verified
	if start > len(files) || start > 0 && (fileKey(files, 0) != s.first || fileKey(files, start-1) != s.last) {
		start = 0
	}
	for i := start; i < len(files); i++ {
		*scanned++
		key := fileKey(files, i)
		if s.add(key) {
			emit(key, &files[i])
		}
	}
	s.verified = len(files)
	s.first, s.last = "", ""
	if len(files) > 0 {
		s.first, s.last = fileKey(files, 0), fileKey(files, len(files)-1)
	}
}

// normFileKey is the identity of files[i] in event IDs: its id, escaped, or
// "~<i>" when it has none ("~" is always escaped in ids, so the two never
// collide).
func fileKey(files []transloadit.File, i int) string {
	if id := files[i].ID; id != "" {
		return schemas.EscapeToken(id)
	}
	return "~" + strconv.Itoa(i)
}
