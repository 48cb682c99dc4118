package repocheck

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// Mention is a provider name found in an identifier or a string literal.
type Mention struct {
	Pos      string // path:line
	Provider string // the provider name, lower case
	Text     string // the identifier, or the string literal's value
}

// Allowed is an allowed provider mention, with the reason it is allowed.
type Allowed struct {
	Path     string // a file, or a prefix of paths ending in "*"
	Provider string
	Text     string // a part of the identifier or string; empty: any
	Why      string
}

// Mentions returns each identifier and string literal in files that contains one of the
// provider names (matched without regard to case, anywhere in the word, so "openAIChat"
// and "azure_deployments" count). Comments are not looked at.
func Mentions(files []File, providers []string) []Mention {
	var out []Mention
	for _, f := range files {
		ast.Inspect(f.AST, func(n ast.Node) bool {
			var text string
			switch n := n.(type) {
			case *ast.Ident:
				text = n.Name
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				text, _ = strconv.Unquote(n.Value)
			case *ast.ImportSpec:
				return false // an import path names a package, checked by Imports
			default:
				return true
			}
			low := strings.ToLower(text)
			for _, p := range providers {
				if strings.Contains(low, p) {
					out = append(out, Mention{Pos: f.pos(n.Pos()), Provider: p, Text: text})
				}
			}
			return true
		})
	}
	return out
}

// Path returns the file of the mention.
func (m Mention) Path() string { return m.Pos[:strings.LastIndexByte(m.Pos, ':')] }

// PathMatches reports whether path is pattern, or begins with pattern's text before a
// final "*".
func PathMatches(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return path == pattern
}

// Disallowed returns the mentions that no entry of allow covers: an entry covers a mention
// of its Provider in the files its Path matches (see PathMatches) whose text contains its
// Text.
func Disallowed(ms []Mention, allow []Allowed) []Mention {
	var out []Mention
next:
	for _, m := range ms {
		for _, a := range allow {
			if a.Provider == m.Provider && PathMatches(a.Path, m.Path()) && strings.Contains(m.Text, a.Text) {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// ProviderSwitches reports each switch statement whose cases compare against a string
// literal that is a provider name: the engine chooses behaviour by registered
// implementations, not by a provider's name.
func ProviderSwitches(files []File, providers []string) []Violation {
	var out []Violation
	for _, f := range files {
		ast.Inspect(f.AST, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			for _, st := range sw.Body.List {
				for _, e := range st.(*ast.CaseClause).List {
					lit, ok := e.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					for _, p := range providers {
						if strings.EqualFold(v, p) {
							out = append(out, Violation{f.pos(sw.Pos()), "provider switch", "a case on the provider name " + strconv.Quote(v)})
						}
					}
				}
			}
			return true
		})
	}
	return out
}
