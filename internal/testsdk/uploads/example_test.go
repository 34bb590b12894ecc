package uploads_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/uploads"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// A multipart upload takes the operation's form struct; its file parts are
// sdk.File values streamed as the request is sent, and
// sdk.WithUploadProgress follows them. A download is an io.ReadCloser, and
// sdk.WithDownloadProgress follows it.
func ExampleMediaService_UploadImage() {
	// A server that reads the form part by part and describes the image.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Length", "6000")
			_, _ = io.WriteString(w, strings.Repeat("pixels", 1000))
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		img := uploads.Image{ID: "img-1"}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "title" {
				b, _ := io.ReadAll(p)
				img.Title = string(b)
				continue
			}
			h := sha256.New()
			img.Size, _ = io.Copy(h, p)
			img.Sha256 = hex.EncodeToString(h.Sum(nil))[:12]
		}
		writeJSON(w, http.StatusCreated, img)
	}))
	defer srv.Close()

	c, err := uploads.NewClient(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// In real code, sdk.FileFromPath("harbour.jpg") streams a file and lets
	// a failed attempt be retried.
	photo := strings.NewReader(strings.Repeat("jpeg", 1<<18))
	img, err := c.Media.UploadImage(ctx, "holiday", uploads.UploadImageFormData{
		Title: "Harbour",
		Image: sdk.File{Name: "harbour.jpg", Reader: photo},
	}, sdk.WithUploadProgress(func(sent, total int64) {
		if sent == total {
			fmt.Printf("sent %d bytes, the form included\n", sent)
		}
	}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d bytes, sha256 %s...\n", img.Title, img.Size, img.Sha256)

	body, err := c.Media.GetRaw(ctx, "holiday", img.ID, sdk.WithDownloadProgress(func(received, total int64) {
		if received == total {
			fmt.Printf("received %d bytes\n", received)
		}
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer body.Close()
	n, err := io.Copy(io.Discard, body)
	fmt.Println(n, err)
	// Output:
	// sent 1048927 bytes, the form included
	// Harbour: 1048576 bytes, sha256 7078fe67a912...
	// received 6000 bytes
	// 6000 <nil>
}
