package annotation

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// confusable folds characters that look like a letter or digit of the
// namespaces (i, o, c, s, b, x, and the digits and letters that pass for
// them), and letters of other scripts that look like Latin ones, to one
// representative each, after NFKC and lower-casing. It is
// deliberately wide: a key that only resembles a namespace is refused, so
// a false match costs a refused container, and a miss an unconfined one.
var confusable = map[rune]rune{
	// i and what passes for it.
	'ı': 'i', 'ɪ': 'i', 'і': 'i', 'ι': 'i', 'ӏ': 'i', 'l': 'i', '1': 'i', '|': 'i', 'ǀ': 'i', 'ꙇ': 'i', 'ї': 'i',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ĩ': 'i', 'ī': 'i', 'ǐ': 'i', 'į': 'i', 'ɩ': 'i', 'ɨ': 'i',
	// o.
	'0': 'o', 'о': 'o', 'ο': 'o', 'ᴏ': 'o', 'օ': 'o', 'ө': 'o', 'ס': 'o', 'ه': 'o', 'º': 'o', 'ℴ': 'o', 'ò': 'o', 'ó': 'o',
	'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o', 'ō': 'o', 'ŏ': 'o', 'ő': 'o', 'σ': 'o',
	// c.
	'с': 'c', 'ϲ': 'c', 'ᴄ': 'c', 'ⅽ': 'c', 'ç': 'c', 'ć': 'c', 'ĉ': 'c', 'ċ': 'c', 'č': 'c', '¢': 'c',
	// s.
	'ѕ': 's', 'ꜱ': 's', 'ʂ': 's', 'ś': 's', 'ŝ': 's', 'ş': 's', 'š': 's', '$': 's', '5': 's', 'ſ': 's',
	// b.
	'ь': 'b', 'в': 'b', 'β': 'b', 'ƅ': 'b', 'ḃ': 'b', 'ɓ': 'b', '6': 'b', 'ß': 'b',
	// x.
	'х': 'x', 'χ': 'x', '×': 'x', 'ᕁ': 'x', 'ⅹ': 'x', 'ẋ': 'x',
	// The other letters of Cyrillic and Greek that pass for Latin ones,
	// for the container names of per-container keys.
	'а': 'a', 'α': 'a', 'ɑ': 'a', 'е': 'e', 'ε': 'e', '℮': 'e', 'р': 'p', 'ρ': 'p', 'у': 'y', 'к': 'k', 'κ': 'k',
	'ԁ': 'd', 'һ': 'h', 'ј': 'j', 'ԛ': 'q', 'ԝ': 'w', 'ѵ': 'v', 'ν': 'v', 'τ': 't', 'υ': 'u', 'ո': 'n', 'ɡ': 'g',
}

// skeleton is what a key looks like to a person: NFKC, lower case,
// confusable letters folded, and everything that is neither a letter nor
// a digit (white space, dots and full stops of any script, hyphens,
// underscores, slashes, invisible and combining marks) dropped.
func skeleton(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		r = unicode.ToLower(r)
		if f, ok := confusable[r]; ok {
			r = f
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// prefixSkeletons holds the namespaces' skeletons, which every key
// outside them is compared with.
var prefixSkeletons = map[string]string{OCI: skeleton(OCI), Kubernetes: skeleton(Kubernetes)}

// lookAlike reports whether key is not in the namespace prefix but looks
// as if it were: its skeleton starts with the namespace's. It returns
// the key as it was probably meant, when its skeleton names a key of the
// table, for the error's suggestion.
func lookAlike(key, prefix string) (meant string, ok bool) {
	if _, in := split(key, prefix); in {
		return "", false
	}
	sp, known := prefixSkeletons[prefix]
	if !known {
		sp = skeleton(prefix)
	}
	rest, ok := strings.CutPrefix(skeleton(key), sp)
	if !ok {
		return "", false
	}
	for _, k := range Keys {
		if !k.Internal && strings.HasPrefix(rest, skeleton(k.Name)) {
			return prefix + k.Name, true
		}
	}
	return "", true
}
