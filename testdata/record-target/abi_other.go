//go:build !amd64

package main

import "errors"

func otherABIs() {}

func markerAsPid(int, uint32) error { return errors.ErrUnsupported }
