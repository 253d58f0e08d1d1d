// Package transloadit models the parts of the Transloadit HTTP API that a
// watcher of Assemblies reads: the Assembly Status, its states and error
// codes, and the URLs it hands out.
//
// Decoding is lenient where the API is loose (nullable fields, absent keys,
// fields the model does not know): unknown fields are kept in Extra and
// written back on encode, so a status survives a decode/encode round trip.
package transloadit
