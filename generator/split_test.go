package generator

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// A split SDK: one package per tag (dotted tags as folders, untagged
// operations by their path), the types one package uses in it, the shared
// ones in models; it builds and vets, imports go only from a tag's package
// to models and the root, and a program that uses one tag's package does
// not compile the others.
func TestSplitByTag(t *testing.T) {
	files, diags := generate(t, "testdata/split.yaml", Config{Package: "shop", Split: "tag", ImportPath: "sdkgentest/shop"})
	if diags.HasErrors() {
		t.Fatalf("generation failed:\n%s", diagText(diags))
	}
	mod := gentest.NewModule(t)
	byDir := map[string]map[string][]byte{}
	for _, f := range files {
		dir, name := path.Split(f.Name)
		dir = path.Join("shop", dir)
		if byDir[dir] == nil {
			byDir[dir] = map[string][]byte{}
		}
		byDir[dir][name] = f.Content
	}
	var dirs []string
	for d, fs := range byDir {
		dirs = append(dirs, d)
		mod.Add(d, fs)
	}
	slices.Sort(dirs)
	want := []string{"shop", "shop/health", "shop/models", "shop/orders", "shop/pets", "shop/store/inventory"}
	if !slices.Equal(dirs, want) {
		t.Errorf("packages = %q, want %q", dirs, want)
	}
	mod.Add("cmd/onlypets", map[string][]byte{"main.go": []byte(`package main

import (
	"context"
	"fmt"

	"sdkgentest/shop"
	"sdkgentest/shop/models"
	"sdkgentest/shop/pets"
)

func main() {
	c, _ := shop.NewClient("", shop.WithAPIKey("k"))
	list, err := pets.New(c).List(context.Background(), &pets.PetsListParams{Status: ptr(pets.PetsListStatusAvailable)})
	for _, p := range list {
		fmt.Println(p.ID, p.Name, p.Status)
	}
	var problem *models.ProblemError // shared by pets and orders
	_ = problem
	fmt.Println(err)
}

func ptr[T any](v T) *T { return &v }
`)})
	mod.BuildAndVet()
	out, err := mod.Go("list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "./shop/...")
	if err != nil {
		t.Fatal(out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, "sdkgentest/") {
				continue
			}
			ok := false
			switch {
			case pkg == "sdkgentest/shop", pkg == "sdkgentest/shop/models":
				ok = false // the root and models import no generated package
			default:
				ok = imp == "sdkgentest/shop" || imp == "sdkgentest/shop/models"
			}
			if !ok {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
	deps, err := mod.Go("list", "-deps", "./cmd/onlypets")
	if err != nil {
		t.Fatal(deps)
	}
	for _, other := range []string{"sdkgentest/shop/orders", "sdkgentest/shop/store/inventory", "sdkgentest/shop/health"} {
		if slices.Contains(strings.Fields(deps), other) {
			t.Errorf("a program using package pets compiles %s", other)
		}
	}
	// Types go where they are used: Pet by two packages (models), Order and
	// OrderLine by orders only, the pets list's status enum by pets only.
	for file, decl := range map[string]string{
		"shop/models/models.gen.go": "type Pet struct", "shop/orders/models.gen.go": "type OrderLine struct",
		"shop/pets/models.gen.go": "type PetsListStatus string", "shop/models/types.gen.go": "type ProblemError struct",
	} {
		if !strings.Contains(string(byDir[path.Dir(file)][path.Base(file)]), decl) {
			t.Errorf("%s lacks %q", file, decl)
		}
	}
}
