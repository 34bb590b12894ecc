package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Server is the catalogue: products in memory, and the subscribers of
// their events. Token, when set, is the bearer token it requires (in the
// Authorization header of requests, and in the connection_init payload of
// WebSocket connections).
type Server struct {
	Token string

	mu       sync.Mutex
	products []*Product
	subs     map[chan *ProductEvent]*string
	seq      int
	run      string
}

// New returns a server holding a few products.
func New() *Server {
	s := &Server{subs: map[chan *ProductEvent]*string{}, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	cats := []string{"books", "games", "tools"}
	for i := 1; i <= 10; i++ {
		r := float64(i) / 2
		s.products = append(s.products, &Product{ID: fmt.Sprintf("p%d", i), Sku: fmt.Sprintf("SKU-%03d", i),
			Name: fmt.Sprintf("Product %d", i), Price: 100 * i, Category: cats[i%3], Rating: &r})
	}
	return s
}

// Handler returns the GraphQL endpoint: POST and GET, with automatic
// persisted queries, and WebSocket subscriptions.
func (s *Server) Handler() http.Handler {
	h := handler.New(NewExecutableSchema(Config{Resolvers: &resolver{s}}))
	h.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if s.Token != "" && p.Authorization() != "Bearer "+s.Token {
				return ctx, nil, errors.New("unauthenticated")
			}
			return ctx, nil, nil
		},
	})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.POST{})
	h.SetQueryCache(lru.New[*ast.QueryDocument](100))
	h.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	h.Use(extension.Introspection{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Token != "" && r.Header.Get("Upgrade") == "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK) // as many GraphQL servers do
			fmt.Fprint(w, `{"errors":[{"message":"unauthenticated","extensions":{"code":"UNAUTHENTICATED"}}]}`)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Start serves the endpoint at /graphql on addr ("127.0.0.1:0" for a free
// port) until ctx ends, and returns the endpoint's URL.
func (s *Server) Start(ctx context.Context, addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	context.AfterFunc(ctx, func() { srv.Close() })
	return "http://" + l.Addr().String() + "/graphql", nil
}

// publish sends an event to every matching subscriber.
func (s *Server) publish(typ string, p *Product) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	ev := &ProductEvent{Type: typ, Product: p, Seq: s.seq, Server: s.run}
	for ch, cat := range s.subs {
		if cat == nil || *cat == p.Category {
			select {
			case ch <- ev:
			default: // a slow subscriber misses events rather than stall the server
			}
		}
	}
}

type resolver struct{ s *Server }

func (r *resolver) Mutation() MutationResolver         { return r }
func (r *resolver) Query() QueryResolver               { return r }
func (r *resolver) Subscription() SubscriptionResolver { return r }

func (r *resolver) Product(_ context.Context, id string) (*Product, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for _, p := range r.s.products {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, nil
}

func (r *resolver) Products(_ context.Context, first *int, after *string, category *string) (*ProductConnection, error) {
	r.s.mu.Lock()
	list := slices.Clone(r.s.products)
	r.s.mu.Unlock()
	list = slices.DeleteFunc(list, func(p *Product) bool { return category != nil && p.Category != *category })
	slices.SortFunc(list, func(a, b *Product) int { return strings.Compare(a.Sku, b.Sku) })
	start, n := 0, 10
	if first != nil {
		n = *first
	}
	if after != nil {
		raw, err := base64.StdEncoding.DecodeString(*after)
		i, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "cursor:"))
		if err != nil || err2 != nil {
			return nil, &gqlerror.Error{Message: "invalid cursor", Extensions: map[string]any{"code": "BAD_CURSOR"}}
		}
		start = i + 1
	}
	end := min(start+n, len(list))
	start = min(start, end)
	c := &ProductConnection{TotalCount: len(list), PageInfo: &PageInfo{HasNextPage: end < len(list)}}
	for i := start; i < end; i++ {
		cur := base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(i)))
		c.Edges = append(c.Edges, &ProductEdge{Cursor: cur, Node: list[i]})
		c.PageInfo.EndCursor = &cur
	}
	return c, nil
}

func (r *resolver) CreateProduct(ctx context.Context, in NewProduct) (*Product, error) {
	r.s.mu.Lock()
	for _, p := range r.s.products {
		if p.Sku == in.Sku {
			r.s.mu.Unlock()
			graphql.AddError(ctx, &gqlerror.Error{Message: "SKU " + in.Sku + " exists", Path: graphql.GetPath(ctx), Extensions: map[string]any{"code": "CONFLICT"}})
			return nil, nil
		}
	}
	p := &Product{ID: fmt.Sprintf("p%d", len(r.s.products)+1), Sku: in.Sku, Name: in.Name, Price: in.Price, Category: in.Category}
	r.s.products = append(r.s.products, p)
	r.s.mu.Unlock()
	r.s.publish("created", p)
	return p, nil
}

func (r *resolver) ProductEvents(ctx context.Context, category *string, everyMs *int) (<-chan *ProductEvent, error) {
	ch := make(chan *ProductEvent, 16)
	r.s.mu.Lock()
	r.s.subs[ch] = category
	r.s.mu.Unlock()
	go func() {
		var tick <-chan time.Time
		if everyMs != nil && *everyMs > 0 {
			t := time.NewTicker(time.Duration(*everyMs) * time.Millisecond)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-ctx.Done():
				r.s.mu.Lock()
				delete(r.s.subs, ch)
				r.s.mu.Unlock()
				return
			case <-tick:
				r.s.mu.Lock()
				p := r.s.products[0]
				r.s.mu.Unlock()
				r.s.publish("updated", p)
			}
		}
	}()
	return ch, nil
}
