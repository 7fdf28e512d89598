// Command kstatus reads one Kubernetes object (YAML or JSON) from stdin or from the file
// named by its single argument, computes its kstatus with sigs.k8s.io/cli-utils, and
// prints "<Status> <message>" on one line. It exits 0 when the status could be computed.
package main

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	in := stdin
	if len(args) > 1 {
		return fmt.Errorf("usage: kstatus [FILE] (reads stdin when FILE is absent or -)")
	}
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading object: %w", err)
	}
	doc, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return fmt.Errorf("parsing object: %w", err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(doc); err != nil {
		return fmt.Errorf("decoding object: %w", err)
	}
	res, err := status.Compute(obj)
	if err != nil {
		return fmt.Errorf("computing status: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s %s\n", res.Status, res.Message)
	return err
}
