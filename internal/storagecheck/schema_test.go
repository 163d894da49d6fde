package storagecheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// schemaOf lists every JSON field of t as "path" -> "type[, optional]",
// the way docs/check-storage.md documents them.
func schemaOf(t reflect.Type, prefix string, out map[string]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft, optional := f.Type, strings.Contains(opts, "omitempty")
		if ft.Kind() == reflect.Pointer {
			ft, optional = ft.Elem(), true
		}
		typ := jsonType(ft)
		if optional {
			typ += ", optional"
		}
		out[prefix+name] = typ
		switch {
		case ft.Kind() == reflect.Struct:
			schemaOf(ft, prefix+name+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			schemaOf(ft.Elem(), prefix+name+"[].", out)
		}
	}
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Uint32:
		return "integer"
	case reflect.Struct:
		return "object"
	case reflect.Slice:
		return "array of " + jsonType(t.Elem())
	case reflect.Map:
		return "object of " + jsonType(t.Elem())
	}
	return t.Kind().String()
}

// documentedSchema reads the table of the section "JSON schema" of
// docs/check-storage.md: | `path` | type | meaning |.
func documentedSchema(t *testing.T) map[string]string {
	b, err := os.ReadFile("../../docs/check-storage.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]string{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, "## JSON schema")
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Fatalf("bad schema row %q", line)
		}
		doc[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	return doc
}

// The JSON document is exactly what docs/check-storage.md documents: every
// field with its type, none missing, none undocumented.
func TestJSONSchemaDocumented(t *testing.T) {
	got := map[string]string{}
	schemaOf(reflect.TypeOf(Report{}), "", got)
	doc := documentedSchema(t)
	var diff []string
	for k, v := range got {
		if doc[k] != v {
			diff = append(diff, "code: `"+k+"` | "+v+" | (doc: "+doc[k]+")")
		}
	}
	for k, v := range doc {
		if _, ok := got[k]; !ok {
			diff = append(diff, "doc only: `"+k+"` | "+v)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("docs/check-storage.md JSON schema differs from the code:\n%s", strings.Join(diff, "\n"))
	}
}

// A real report (cleanup, write test, problems) uses only documented fields,
// and schema_version is the documented one.
func TestJSONReportMatchesSchema(t *testing.T) {
	lu, tg := healthy(t)
	unfence(t, lu, 3, 1, key9, false)
	r := Check(ctx, []Target{tg}, testCluster(), Options{})
	r.Cleanups = []CleanupResult{Cleanup(ctx, tg)}
	runWriteTests(ctx, []Target{tg}, &r, WriteTestOptions{Force: true})
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	doc := documentedSchema(t)
	seen := map[string]bool{}
	walkJSON(v, "", seen)
	for p := range seen {
		if _, ok := doc[p]; !ok {
			t.Errorf("field %s is not documented", p)
		}
	}
	for _, p := range []string{"schema_version", "devices[].paths[].registrations[].owner", "write_tests[].state_before", "cleanups[].removed"} {
		if !seen[p] {
			t.Errorf("field %s missing from the report", p)
		}
	}
	if v.(map[string]any)["schema_version"] != float64(SchemaVersion) || SchemaVersion != 1 {
		t.Errorf("schema_version %v", v.(map[string]any)["schema_version"])
	}
}

func walkJSON(v any, prefix string, seen map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if prefix == "cluster_nodes." {
			return // keys are node keys
		}
		for k, e := range x {
			seen[prefix+k] = true
			walkJSON(e, prefix+k+".", seen)
		}
	case []any:
		for _, e := range x {
			walkJSON(e, strings.TrimSuffix(prefix, ".")+"[].", seen)
		}
	}
}
