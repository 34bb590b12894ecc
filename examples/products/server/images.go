package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"image"
	_ "image/jpeg" // DecodeConfig reads JPEG headers
	_ "image/png"  // and PNG headers
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Images are files in the image folder named by product id and SHA-256, so
// a new upload never overwrites the file a download may be reading; the
// old file is removed once the product points to the new one.

const (
	maxCaption = 500
	// formOverhead is what a multipart body may carry beyond the image:
	// boundaries, part headers, the caption.
	formOverhead = 64 << 10
)

func (s *Server) imagePath(id, sum string) string {
	return filepath.Join(s.imageDir, id+"-"+sum)
}

// upload is an image being received.
type upload struct {
	file    *os.File
	size    int64
	sum     string
	ctype   string
	width   int
	height  int
	caption string
}

// uploadError is a failed upload's response.
type uploadError struct {
	status int
	kind   problemKind
	detail string
	fields []fieldError
}

func (e *uploadError) Error() string { return e.detail }

func (s *Server) uploadImage(w http.ResponseWriter, r *http.Request, c *call, id string) {
	kw, ok := s.beginKeyed(w, r, c, s.opts.MaxImageBytes+formOverhead)
	if !ok {
		return
	}
	defer kw.release()
	// Refuse early what cannot succeed, before reading the body.
	var exists bool
	if err := s.view(func(tx *bolt.Tx) error {
		exists = tx.Bucket(bucketProducts).Get([]byte(id)) != nil
		return nil
	}); err != nil {
		s.internalError(w, r, c, err)
		return
	}
	if !exists {
		s.storeError(w, r, c, id, errNotFound)
		return
	}
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		if ct == "" {
			ct = "absent"
		}
		s.problem(w, r, c, http.StatusUnsupportedMediaType, probMediaType, "the body must be multipart/form-data with a boundary, not "+ct)
		return
	}
	limit := s.opts.MaxImageBytes
	if r.ContentLength > limit+formOverhead {
		s.problem(w, r, c, http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the image is larger than %d bytes", limit))
		return
	}
	body := http.MaxBytesReader(w, r.Body, limit+formOverhead)
	up, err := s.receive(multipart.NewReader(body, params["boundary"]), limit)
	if err == nil && kw != nil {
		// The key's fingerprint covers the whole body, epilogue included.
		_, err = io.Copy(io.Discard, body)
	}
	if up != nil && up.file != nil {
		defer func() {
			_ = up.file.Close()
			_ = os.Remove(up.file.Name()) // gone already once renamed
		}()
	}
	if err != nil {
		var ue *uploadError
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &ue):
			s.problem(w, r, c, ue.status, ue.kind, ue.detail, ue.fields...)
		case errors.As(err, &tooLarge):
			s.problem(w, r, c, http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the image is larger than %d bytes", limit))
		default:
			s.internalError(w, r, c, err)
		}
		return
	}

	final := s.imagePath(id, up.sum)
	if err := up.file.Close(); err != nil { // closed before the rename, which some systems need
		s.internalError(w, r, c, err)
		return
	}
	if err := os.Rename(up.file.Name(), final); err != nil {
		s.internalError(w, r, c, err)
		return
	}
	img := &productImage{
		ContentType: up.ctype, Size: up.size, SHA256: up.sum,
		Width: up.width, Height: up.height, Caption: up.caption,
		UploadedAt: s.now().UTC(),
	}
	var old *productImage
	err = s.mutate(func(tx *bolt.Tx, newEvent func(string, *product, time.Time) error) error {
		p, err := getProduct(tx, id)
		if err != nil {
			return err
		}
		old = p.Image
		p.Image = img
		p.Version++
		p.UpdatedAt = img.UploadedAt
		if err := putProduct(tx, p); err != nil {
			return err
		}
		out, err := json.Marshal(img)
		if err != nil {
			return err
		}
		rec := &idempotencyRecord{Status: http.StatusCreated, Location: "/products/" + id + "/image", ContentType: "application/json", Body: out}
		if err := kw.commit(tx, rec, p.ID, p.Version); err != nil {
			return err
		}
		return newEvent("updated", p, p.UpdatedAt)
	})
	if err != nil {
		// The product is gone (deleted meanwhile) or the write failed:
		// the new file belongs to nothing, unless it is the old one.
		if old == nil || old.SHA256 != up.sum {
			_ = os.Remove(final)
		}
		s.storeError(w, r, c, id, err)
		return
	}
	kw.committed()
	if old != nil && old.SHA256 != up.sum {
		if err := os.Remove(s.imagePath(id, old.SHA256)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove replaced image", "product", id, "err", err)
		}
	}
	w.Header().Set("Location", "/products/"+id+"/image")
	if err := writeJSON(w, http.StatusCreated, img); err != nil {
		s.internalError(w, r, c, err)
	}
}

// receive reads the form: the image part streamed to a temporary file
// (checked to be a PNG or JPEG and at most limit bytes), the caption.
// The returned upload's file, if any, is the caller's to close and remove.
func (s *Server) receive(mr *multipart.Reader, limit int64) (*upload, error) {
	up := &upload{}
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, malformed(err)
		}
		name := part.FormName()
		if seen[name] {
			return up, &uploadError{http.StatusUnprocessableEntity, probValidation, "the form has two " + name + " fields",
				[]fieldError{{Field: name, Message: "must appear once"}}}
		}
		seen[name] = true
		switch name {
		case "image":
			if err := s.receiveImage(part, limit, up); err != nil {
				return up, err
			}
		case "caption":
			data, err := io.ReadAll(io.LimitReader(part, 4*maxCaption+1))
			if err != nil {
				return up, malformed(err)
			}
			if !utf8.Valid(data) || utf8.RuneCount(data) > maxCaption {
				return up, &uploadError{http.StatusUnprocessableEntity, probValidation, "the caption is not valid",
					[]fieldError{{Field: "caption", Message: fmt.Sprintf("must be at most %d characters of UTF-8", maxCaption)}}}
			}
			up.caption = string(data)
		default:
			return up, &uploadError{http.StatusUnprocessableEntity, probValidation, fmt.Sprintf("the form has an unknown field %q", name),
				[]fieldError{{Field: name, Message: "is not a field of ProductImageUpload"}}}
		}
		_ = part.Close()
	}
	if up.file == nil {
		return up, &uploadError{http.StatusUnprocessableEntity, probValidation, "the form has no image",
			[]fieldError{{Field: "image", Message: "is required"}}}
	}
	return up, nil
}

// malformed turns a multipart reading error into its response: 413 past
// the body limit, else 400.
func malformed(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err
	}
	return &uploadError{http.StatusBadRequest, probMalformed, "the multipart body could not be read: " + err.Error(), nil}
}

// receiveImage streams the image part to a temporary file, hashing it,
// after checking its first bytes are a PNG or JPEG signature.
func (s *Server) receiveImage(part *multipart.Part, limit int64, up *upload) error {
	head := make([]byte, 512)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return malformed(err)
	}
	head = head[:n]
	notImage := func(detail string) error {
		return &uploadError{http.StatusUnprocessableEntity, probNotAnImage, detail,
			[]fieldError{{Field: "image", Message: "must be a PNG or JPEG image"}}}
	}
	if n == 0 {
		return notImage("the image is empty")
	}
	up.ctype = http.DetectContentType(head)
	if up.ctype != "image/png" && up.ctype != "image/jpeg" {
		return notImage("the image's bytes are " + up.ctype + ", not a PNG or JPEG image")
	}
	f, err := os.CreateTemp(s.imageDir, ".upload-*")
	if err != nil {
		return err
	}
	up.file = f
	var h hash.Hash = sha256.New()
	dst := io.MultiWriter(f, h)
	if _, err := dst.Write(head); err != nil {
		return err
	}
	rest, err := io.Copy(dst, io.LimitReader(part, limit-int64(n)+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) || isWriteError(err, f) {
			return err
		}
		return malformed(err)
	}
	up.size = int64(n) + rest
	if up.size > limit {
		return &uploadError{http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the image is larger than %d bytes", limit), nil}
	}
	up.sum = hex.EncodeToString(h.Sum(nil))
	if err := f.Sync(); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || "image/"+format != up.ctype {
		return notImage(fmt.Sprintf("the image starts as a %s but its header does not decode: %v", up.ctype, err))
	}
	up.width, up.height = cfg.Width, cfg.Height
	return nil
}

// isWriteError reports whether err came from writing the file f (a full
// disk), not from reading the request.
func isWriteError(err error, f *os.File) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && pe.Path == f.Name()
}

func (s *Server) getImage(w http.ResponseWriter, r *http.Request, c *call, id string) {
	var (
		p   *product
		f   *os.File
		err error
	)
	// An upload may replace the file between the read of the product and
	// the open: then the product is read again.
	for range 3 {
		if err := s.view(func(tx *bolt.Tx) (err error) {
			p, err = getProduct(tx, id)
			return err
		}); err != nil {
			s.storeError(w, r, c, id, err)
			return
		}
		if p.Image == nil {
			s.problem(w, r, c, http.StatusNotFound, probNotFound, "product "+id+" has no image")
			return
		}
		if f, err = os.Open(s.imagePath(id, p.Image.SHA256)); !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil {
		s.internalError(w, r, c, err)
		return
	}
	defer f.Close()
	ctype, ok := negotiate(r.Header.Values("Accept"), p.Image.ContentType)
	if !ok {
		s.problem(w, r, c, http.StatusNotAcceptable, probNotAcceptable,
			fmt.Sprintf("the image is %s; the request accepts neither it nor application/octet-stream", p.Image.ContentType))
		return
	}
	st, err := f.Stat()
	if err != nil {
		s.internalError(w, r, c, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	h.Set("ETag", `"`+p.Image.SHA256+`"`)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Debug("image download ended early", "request_id", c.requestID, "err", err)
	}
}

// negotiate picks the type of an image response from Accept: the image's
// own type, else application/octet-stream (ok false when the request
// accepts neither). Types with q=0 are refused.
func negotiate(accept []string, ctype string) (string, bool) {
	if len(accept) == 0 {
		return ctype, true
	}
	octet := false
	for _, header := range accept {
		for rangeSpec := range strings.SplitSeq(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rangeSpec))
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
					continue
				}
			}
			switch mt {
			case ctype, "image/*", "*/*":
				return ctype, true
			case "application/octet-stream":
				octet = true
			}
		}
	}
	if octet {
		return "application/octet-stream", true
	}
	return "", false
}
