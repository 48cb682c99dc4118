package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// envName returns the environment variable that sets the flag called name: BIFROST_ and
// the name in upper case with '-' written as '_' (BIFROST_LOG_LEVEL for -log-level).
func envName(name string) string {
	return "BIFROST_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applyEnv sets every flag of fs whose environment variable (envName) is set and not
// empty, as read by getenv, except the flags named in actions: those choose what the
// command does (-check, -healthcheck), and a variable left in a container's environment
// must not turn every start into one. Call it before fs.Parse: a flag on the command line
// then wins over its variable. A value the flag refuses is an error that names the
// variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string, actions ...string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || slices.Contains(actions, f.Name) {
			return
		}
		env := envName(f.Name)
		if v := getenv(env); v != "" {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("environment variable %s: %w", env, setErr)
			}
		}
	})
	return err
}
