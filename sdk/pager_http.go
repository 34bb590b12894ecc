package sdk

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The core of the pagers generated code builds (sdkimpl.CursorPager,
// sdkimpl.OffsetPager, ...; see Impl): the generic code that sets a
// position on a request and reads a page's body lives in sdkimpl, and what
// it needs of a Pager's insides is here.

// boundPager is the pager option that ties a Pager to the Client whose
// calls fetch its pages and to their Operation: a prefetching pager stops
// when the client is closed, and a *PaginationError names the operation.
// It is always the last pager option (see Impl.PagerOptions), so a nil
// client's error wins over the others'.
type boundPager struct {
	c  *Client
	op *Operation
}

func (b boundPager) apply(s *settings) {
	s.fail(&OptionError{Option: "pager binding", Reason: "applies to paginated calls only"})
}

func (b boundPager) applyPager(cfg *pagerConfig) {
	if b.op != nil {
		cfg.op = b.op.ID
	}
	if b.c == nil {
		cfg.err = errors.New("sdk: pager: nil Client")
		return
	}
	cfg.stop = b.c.Done()
}

// splitPagerOptions splits the options of a paginated method into the
// pager's and those of every page's call, and adds the binding to c and op.
func splitPagerOptions(c *Client, op *Operation, opts []Option) (call []Option, pager []PagerOption) {
	call = make([]Option, 0, len(opts))
	for _, o := range opts {
		if po, ok := o.(PagerOption); ok {
			pager = append(pager, po)
		} else {
			call = append(call, o)
		}
	}
	return call, append(pager, boundPager{c: c, op: op})
}

// numberPosition reads the position of an offset or page-number pager: a
// non-negative integer in decimal.
func numberPosition(pos string) (int, *PaginationError) {
	v, err := strconv.Atoi(pos)
	if err != nil || v < 0 {
		return 0, invalidPosition(pos, "not a non-negative integer")
	}
	return v, nil
}

// resolveNext resolves the next-page reference a server gave against the
// URL of its response (the link's context). A reference that cannot be
// parsed is kept as it is, and refused when the pager tries to follow it.
func resolveNext(base *url.URL, next string) string {
	if u, err := base.Parse(next); err == nil {
		return u.String()
	}
	return next
}

// urlPosition checks the position of a URL pager (a next URL, or one given
// to WithStartAt) before it is requested: an absolute http or https URL on
// the origin (scheme, host and port) of first, the URL of the list's first
// request. Credentials of the client are sent to it.
func urlPosition(pos string, first *url.URL) (*url.URL, *PaginationError) {
	u, err := url.Parse(pos)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return nil, invalidPosition(pos, "not an absolute URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalidPosition(pos, "not an http or https URL")
	case !sameOrigin(u, originOf(first)):
		return nil, invalidPosition(pos, "on another origin than "+redactURL(&url.URL{Scheme: first.Scheme, Host: first.Host}))
	}
	return u, nil
}

// onOrigin moves an absolute http(s) URL on another origin than base's
// onto base's origin: the query kept, the path's leading segments that
// differ from base's replaced by base's (when the two paths end alike).
func onOrigin(base *url.URL, next string) string {
	u, err := url.Parse(next)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || sameOrigin(u, originOf(base)) {
		return next
	}
	r := *u
	r.Scheme, r.Host, r.User = base.Scheme, base.Host, nil
	r.Path, r.RawPath = rebasePath(base.Path, u.Path), ""
	return r.String()
}

// rebasePath replaces the leading segments of next that differ from own's
// by own's, keeping the segments the two paths end with:
// rebasePath("/me/shows", "/v1/me/shows") is "/me/shows". Paths with no
// segment in common at their ends are next as it is.
func rebasePath(own, next string) string {
	os, ns := strings.Split(strings.TrimPrefix(own, "/"), "/"), strings.Split(strings.TrimPrefix(next, "/"), "/")
	k := 0
	for k < len(os) && k < len(ns) && os[len(os)-1-k] == ns[len(ns)-1-k] {
		k++
	}
	if k == 0 {
		return next
	}
	return "/" + strings.Join(append(slices.Clone(os[:len(os)-k]), ns[len(ns)-k:]...), "/")
}
