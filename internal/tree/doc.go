// Package tree is a positioned JSON and YAML document tree: every value
// with where it was written, numbers kept as their text (a uint64 survives
// bit for bit), keys in their order. The profile readers check a tree's
// shape and report errors by line and column; config.json is edited
// through it without touching any byte outside the edit.
//
// Every parser here is bounded: nesting deeper than MaxDepth and documents
// of more than MaxValues values are refused with a positioned error before
// they can cost more than linear time and memory.
package tree
