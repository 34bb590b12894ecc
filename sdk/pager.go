package sdk

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"sync"

	"github.com/sdkgen-go/sdkgen/sdk/internal/running"
)

// Page is one page of a list: what a fetch function returns to a [Pager],
// and what [Pager.Pages] and [Pager.NextPage] hand out.
type Page[T any] struct {
	// Items are the page's items, in the server's order. A page may be
	// empty and still have a next page.
	Items []T
	// Next is the position of the next page, opaque to the pager: a
	// cursor, an offset or page number in decimal, or an absolute URL.
	// Empty means this is the last page.
	Next string
	// Body is the decoded response body (a *P, such as *petstore.PetList)
	// for pages fetched over HTTP, for callers who need a page's other
	// fields (a total count, say). Pagers over fakes may leave it nil.
	Body any
}

// Pager walks a paginated list page by page, fetching each page only when
// it is needed. Generated methods of paginated operations return one:
//
//	for pet, err := range c.Pets.ListPets(ctx, &petstore.ListPetsParams{Status: &sold}).All() {
//		if err != nil {
//			return err
//		}
//		fmt.Println(pet.Name)
//	}
//
// A Pager is single-use and not safe for concurrent use. It reads the list
// once, through [Pager.All], [Pager.Pages] or [Pager.NextPage]: All or
// Pages may be ranged over once (a second range yields [ErrPagerUsed]),
// and NextPage may be called until one of them is ranged. Both iterators
// stop at the first error, which they yield once.
//
// Options ([WithMaxItems], [WithStartAt], [WithPrefetch]) are given to the
// generated method, beside the call options, or to [NewPager]:
//
//	pets := c.Pets.ListPets(ctx, params, sdk.WithMaxItems(500), sdk.WithPrefetch())
//
// To resume later, save [Pager.Position] and start a new pager there with
// [WithStartAt]. A pager stops with a [*PaginationError] when the server
// hands out a position it already gave (which would loop forever).
//
// Build a Pager over any source, fakes included, with [NewPager]. Generated
// methods build theirs with the helpers of package sdkimpl, which fetch
// pages through a [Client].
type Pager[T any] struct {
	ctx context.Context
	cfg pagerConfig
	st  stepper[T]

	resume string // where a new pager would continue
	done   bool   // the last page was read and all its items delivered
	used   bool   // All or Pages was ranged
	count  int    // items delivered by All or Pages
}

// ErrPagerUsed is yielded by a second range over [Pager.All] or
// [Pager.Pages], and returned by [Pager.NextPage] once one of them was
// ranged: a Pager reads its list once.
var ErrPagerUsed = errors.New("sdk: pager already iterated (a Pager is single-use)")

// ErrNoMorePages is returned by [Pager.NextPage] after the last page.
var ErrNoMorePages = errors.New("sdk: no more pages")

// Errors of a [*PaginationError], for [errors.Is].
var (
	// ErrRepeatedPosition: the server handed out a next-page position that
	// the pager had already fetched, so following it would loop.
	ErrRepeatedPosition = errors.New("the server repeated a page position")
	// ErrInvalidPosition: a position (from WithStartAt or from the server)
	// that the pager cannot follow: an offset or page number that is not a
	// number, a next URL that is malformed or on another origin.
	ErrInvalidPosition = errors.New("invalid page position")
)

// PaginationError reports a list that cannot be read further, for a reason
// of its positions rather than of a call: the server repeated a position,
// or a position is invalid. Errors of the calls themselves ([*APIError],
// [*TransportError], ...) are yielded as they are.
type PaginationError struct {
	// Operation is the operationId ("" for pagers over a fake).
	Operation string
	// Pages is how many pages the pager had fetched.
	Pages int
	// Position is the position at fault. A URL is shown in Error without
	// its query.
	Position string
	// Err is ErrRepeatedPosition or ErrInvalidPosition.
	Err error
	// Detail says more, when there is more to say.
	Detail string

	fill bool // Operation and Pages are to be filled in by the pager
}

// Error says which operation stopped, after how many pages, and why.
func (e *PaginationError) Error() string {
	op := ""
	if e.Operation != "" {
		op = e.Operation + ": "
	}
	pages := "pages"
	if e.Pages == 1 {
		pages = "page"
	}
	msg := fmt.Sprintf("sdk: %spagination stopped after %d %s: %v: %s", op, e.Pages, pages, e.Err, describePosition(e.Position))
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns ErrRepeatedPosition or ErrInvalidPosition.
func (e *PaginationError) Unwrap() error { return e.Err }

// describePosition quotes a position for an error string: URLs lose their
// query and user information (credentials may travel there), other
// positions are cut short.
func describePosition(pos string) string {
	if u, err := url.Parse(pos); err == nil && u.Scheme != "" && u.Host != "" {
		return strconv.Quote(redactURL(u))
	}
	return strconv.Quote(sanitize(pos, 100))
}

// PagerOption configures a [Pager]. Pager options are also [Option]
// values, so generated methods take them beside call options; given to a
// call that does not return a Pager, or to NewClient, they fail with an
// [*OptionError].
type PagerOption interface {
	Option
	applyPager(*pagerConfig)
}

type pagerConfig struct {
	prefetch bool
	maxItems int
	start    string
	err      error
	// Set by boundPager, for pagers of a Client's calls.
	op   string          // the operationId, for a *PaginationError
	stop <-chan struct{} // Client.Done: prefetching stops there
}

type pagerOption struct {
	name string
	f    func(*pagerConfig)
}

func (o pagerOption) apply(s *settings) {
	s.fail(&OptionError{Option: o.name, Reason: "applies to paginated calls only (methods that return a Pager)"})
}

func (o pagerOption) applyPager(c *pagerConfig) { o.f(c) }

// NewPager returns a Pager over fetch, which returns the page at a
// position: "" for the first page, otherwise the Next of the page before
// (or the position given to [WithStartAt]). fetch knows nothing of HTTP,
// so tests can build pagers over fakes:
//
//	func (f *fakePets) ListPets(ctx context.Context, p *petstore.ListPetsParams, opts ...sdk.Option) *sdk.Pager[petstore.Pet] {
//		return sdk.NewPager(ctx, func(ctx context.Context, cursor string) (sdk.Page[petstore.Pet], error) {
//			return f.page(cursor)
//		})
//	}
//
// ctx governs every fetch of [Pager.All] and [Pager.Pages] (NextPage takes
// its own). A fetch error is yielded as it is; fetch may be called again
// for the same position after an error only through NextPage.
func NewPager[T any](ctx context.Context, fetch func(ctx context.Context, position string) (Page[T], error), opts ...PagerOption) *Pager[T] {
	if ctx == nil {
		ctx = context.Background()
	}
	p := &Pager[T]{ctx: ctx}
	for _, o := range opts {
		if o != nil {
			o.applyPager(&p.cfg)
		}
	}
	if fetch == nil && p.cfg.err == nil {
		p.cfg.err = errors.New("sdk: NewPager: nil fetch function")
	}
	p.st.fetch = fetch
	p.st.op = p.cfg.op
	p.st.next = p.cfg.start
	p.resume = p.cfg.start
	return p
}

// Position returns where a new pager should start (with [WithStartAt]) to
// continue this one: the position of the first page whose items were not
// all delivered. After a break in the middle of a page, that is the page
// being read, so a resumed pager yields its items again (at least once,
// never lost). After an error, it is the page that failed. Once the list
// was read to its end it is "" and [Pager.Done] reports true.
func (p *Pager[T]) Position() string { return p.resume }

// Done reports whether the list was read to its end: its last page was
// fetched and all of that page's items delivered.
func (p *Pager[T]) Done() bool { return p.done }

// NextPage fetches the next page, for callers who drive the pager by hand
// (to save [Pager.Position] after each page, say):
//
//	for !pager.Done() {
//		page, err := pager.NextPage(ctx)
//		if err != nil {
//			return err
//		}
//		process(page.Items)
//		save(page.Next)
//	}
//
// page.Next is the position of the page after it, "" after the last page;
// a further call returns [ErrNoMorePages]. After an error the pager stays
// where it was, so calling again retries the same page (except after a
// [*PaginationError], which is final). NextPage is not affected by
// [WithMaxItems] and never prefetches.
func (p *Pager[T]) NextPage(ctx context.Context) (Page[T], error) {
	if p.cfg.err != nil {
		return Page[T]{}, p.cfg.err
	}
	if p.used {
		return Page[T]{}, ErrPagerUsed
	}
	if ctx == nil {
		ctx = p.ctx
	}
	_, page, ok, err := p.st.step(ctx)
	if err != nil {
		return Page[T]{}, err
	}
	if !ok {
		return Page[T]{}, ErrNoMorePages
	}
	p.resume, p.done = page.Next, page.Next == ""
	return page, nil
}

// All returns an iterator over the items of the list, fetching pages as
// the loop needs them. It is single-use: it can be ranged over once, and a
// second range (of it or of [Pager.Pages]) yields [ErrPagerUsed]. It stops
// at the first error, which it yields once with the zero T; the items
// before it were yielded. A break fetches nothing more.
func (p *Pager[T]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := p.begin(); err != nil {
			yield(zero, err)
			return
		}
		next, stop := p.source()
		defer stop()
		for {
			r := next()
			if r.err != nil {
				p.resume = r.pos
				yield(zero, r.err)
				return
			}
			if !r.ok {
				return
			}
			items, cut := p.capped(r.page.Items)
			if len(items) == 0 {
				p.resume, p.done = r.page.Next, r.page.Next == ""
				continue
			}
			p.resume = r.pos
			last := len(items) - 1
			for i := range items {
				if i == last {
					// The caller holds the page's last item: the page is
					// delivered (unless the cap cut it).
					if !cut {
						p.resume, p.done = r.page.Next, r.page.Next == ""
					}
				}
				p.count++
				if !yield(items[i], nil) {
					return
				}
			}
			if p.capReached() {
				return
			}
		}
	}
}

// Pages returns an iterator over the pages of the list. Like [Pager.All]
// it is single-use and stops at the first error, which it yields once with
// an empty Page. Empty pages are yielded too. With [WithMaxItems] the last
// page is cut to the cap.
func (p *Pager[T]) Pages() iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		if err := p.begin(); err != nil {
			yield(Page[T]{}, err)
			return
		}
		next, stop := p.source()
		defer stop()
		for {
			r := next()
			if r.err != nil {
				p.resume = r.pos
				yield(Page[T]{}, r.err)
				return
			}
			if !r.ok {
				return
			}
			page := r.page
			var cut bool
			page.Items, cut = p.capped(page.Items)
			if cut {
				p.resume = r.pos
			} else {
				p.resume, p.done = page.Next, page.Next == ""
			}
			p.count += len(page.Items)
			if !yield(page, nil) || p.capReached() {
				return
			}
		}
	}
}

// begin claims the pager for an iteration.
func (p *Pager[T]) begin() error {
	if p.cfg.err != nil {
		return p.cfg.err
	}
	if p.used {
		return ErrPagerUsed
	}
	p.used = true
	p.st.max, p.st.items = p.cfg.maxItems, 0
	return nil
}

// capped cuts items to what the cap still allows.
func (p *Pager[T]) capped(items []T) ([]T, bool) {
	if p.cfg.maxItems > 0 && len(items) > p.cfg.maxItems-p.count {
		return items[:p.cfg.maxItems-p.count], true
	}
	return items, false
}

func (p *Pager[T]) capReached() bool { return p.cfg.maxItems > 0 && p.count >= p.cfg.maxItems }

// result is one step of an iteration.
type result[T any] struct {
	pos  string // position of the page (or of the page that failed)
	page Page[T]
	ok   bool // false at the end of the list or the cap
	err  error
}

// source returns the steps of an iteration, fetched in place or, with
// prefetch, one page ahead by a goroutine; stop ends the iteration and
// returns once the goroutine has exited.
func (p *Pager[T]) source() (next func() result[T], stop func()) {
	if !p.cfg.prefetch {
		return func() result[T] {
			pos, page, ok, err := p.st.step(p.ctx)
			return result[T]{pos, page, ok, err}
		}, func() {}
	}
	ctx, cancel := context.WithCancel(p.ctx)
	results := make(chan result[T])
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	running.Prefetches.Add(1)
	go func() {
		defer wg.Done()
		defer running.Prefetches.Add(-1)
		defer close(results)
		// The stepper belongs to this goroutine until stop returns.
		for {
			pos, page, ok, err := p.st.step(ctx)
			if err != nil && closed(p.cfg.stop) {
				err = ErrClientClosed
			}
			select {
			case results <- result[T]{pos, page, ok, err}:
			case <-quit:
				return
			}
			if !ok || err != nil {
				return
			}
		}
	}()
	if p.cfg.stop != nil {
		// Client.Close cancels the fetch in flight.
		wg.Add(1)
		running.Prefetches.Add(1)
		go func() {
			defer wg.Done()
			defer running.Prefetches.Add(-1)
			select {
			case <-p.cfg.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return func() result[T] {
			r, ok := <-results
			if !ok {
				return result[T]{}
			}
			return r
		}, func() {
			close(quit)
			cancel()
			wg.Wait()
		}
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// recentPositions is how many positions a pager remembers to detect a
// server that repeats one. A fixed window keeps memory flat on lists of
// any length; it catches a position handed out again at once or within
// a short cycle. A longer cycle is caught by the position kept at every
// power of two of the pages fetched (Brent's cycle detection): once that
// mark falls inside the cycle and the cycle is shorter than the distance
// to the next power of two, the mark comes back. So every cycle stops
// within about two turns of it, in constant memory.
const recentPositions = 16

// stepper fetches pages one after another and checks the positions the
// server hands out. It is used by one goroutine at a time.
type stepper[T any] struct {
	fetch func(context.Context, string) (Page[T], error)
	op    string
	next  string // position of the next page
	end   bool   // no page after the last one fetched
	err   error  // final error, returned instead of fetching
	pages int    // pages fetched
	max   int    // stop once items >= max (0: no cap)
	items int    // items fetched since the cap was set

	recent  [recentPositions]string
	nrecent int
	mark    string // the position of the last page whose number is a power of two
}

// step fetches the next page. ok is false when there is none (the list
// ended or the cap was reached). A fetch error leaves the stepper where it
// was.
func (s *stepper[T]) step(ctx context.Context) (pos string, page Page[T], ok bool, err error) {
	if s.err != nil {
		return s.next, Page[T]{}, false, s.err
	}
	if s.end || (s.max > 0 && s.items >= s.max) {
		return "", Page[T]{}, false, nil
	}
	pos = s.next
	if err := ctx.Err(); err != nil {
		return pos, Page[T]{}, false, err
	}
	page, err = s.fetch(ctx, pos)
	if err != nil {
		var pe *PaginationError
		if errors.As(err, &pe) && pe.fill {
			pe.fill, pe.Operation, pe.Pages = false, s.op, s.pages
			s.err = pe
		}
		return pos, Page[T]{}, false, err
	}
	s.pages++
	s.items += len(page.Items)
	if pos != "" {
		s.remember(pos)
	}
	if s.pages&(s.pages-1) == 0 {
		s.mark = pos
	}
	switch {
	case page.Next == "":
		s.end = true
	case s.seen(page.Next):
		// The page itself is fine; following it is not. Its items are
		// delivered, then the error.
		s.err = &PaginationError{Operation: s.op, Pages: s.pages, Position: page.Next, Err: ErrRepeatedPosition}
		s.next = page.Next
	default:
		s.next = page.Next
	}
	return pos, page, true, nil
}

func (s *stepper[T]) remember(pos string) {
	s.recent[s.nrecent%recentPositions] = pos
	s.nrecent++
}

func (s *stepper[T]) seen(pos string) bool {
	if pos == s.mark {
		return true
	}
	for i := range min(s.nrecent, recentPositions) {
		if s.recent[i] == pos {
			return true
		}
	}
	return false
}

// invalidPosition is the error of a position a fetch cannot follow; the
// stepper fills in the operation and page count.
func invalidPosition(pos, detail string) *PaginationError {
	return &PaginationError{Position: pos, Err: ErrInvalidPosition, Detail: detail, fill: true}
}
