package products_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"testing"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/internal/contract"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// Every operation of the products SDK, called against Prism serving
// products.yaml with --errors: a request that breaks the spec would be
// refused, so each 2xx proves the generated request is one the spec allows.
//
// One exception, Prism's and not ours: Prism cannot write an object schema
// as text/event-stream, so it answers streamProductEvents with a 500 whose
// violation is about its own response body. The recorder accepts exactly
// that for this one operation (the request itself passed Prism's
// validation, which any request violation would have said); the stream is
// tested against the real server in examples/products/server.
func TestPrismContract(t *testing.T) {
	base := contract.StartPrism(t, "products.yaml")
	rec := contract.NewRecorder()
	rec.AllowMockedResponseViolation("streamProductEvents")
	c, err := products.NewClient(base,
		products.WithOAuth2(sdk.StaticToken("contract-token")),
		sdk.WithMaxRetries(0),
		rec.Option())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testenv.Context(t, 60e9)

	id, secret, scope := "productsctl", "s3cret", "products:read products:write"
	if _, err := c.Auth.IssueToken(ctx, products.TokenRequest{GrantType: products.TokenRequestGrantTypeClientCredentials, ClientID: &id, ClientSecret: &secret, Scope: &scope}); err != nil {
		t.Errorf("IssueToken: %v", err)
	}
	desc, stock, tags := "An adjustable LED desk lamp.", int32(12), []string{"led", "office"}
	created, err := c.Products.CreateProduct(ctx, nil, products.ProductCreate{Sku: "LAMP-001", Name: "Desk lamp", Category: "lighting", Price: 3499, Description: &desc, Stock: &stock, Tags: tags})
	if err != nil {
		t.Fatalf("CreateProduct: %v", err)
	}
	if _, err := c.Products.GetProduct(ctx, created.ID); err != nil {
		t.Errorf("GetProduct: %v", err)
	}
	limit, cat, minP, maxP, q, sort := int32(10), "lighting", int64(100), int64(100000), "lamp", products.ProductSortMinusPrice
	pager := c.Products.ListProducts(ctx, &products.ListProductsParams{Limit: &limit, Category: &cat, MinPrice: &minP, MaxPrice: &maxP, Q: &q, Sort: &sort})
	if _, err := pager.NextPage(ctx); err != nil {
		t.Errorf("ListProducts: %v", err)
	}
	etag, price := `"1"`, int64(2999)
	if _, err := c.Products.UpdateProduct(ctx, created.ID, &products.UpdateProductParams{IfMatch: &etag}, products.ProductUpdate{Price: &price}); err != nil {
		t.Errorf("UpdateProduct: %v", err)
	}
	key, newID := "2b1c6f0e-put-contract", "prd_01JCF7YQX4W99R5S0TKM2ND8FA"
	if _, err := c.Products.PutProduct(ctx, newID, &products.PutProductParams{IdempotencyKey: &key}, products.ProductCreate{Sku: "LAMP-002", Name: "Floor lamp", Category: "lighting", Price: 8900}); err != nil {
		t.Errorf("PutProduct: %v", err)
	}
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	caption := "front"
	if _, err := c.Products.UploadProductImage(ctx, created.ID, products.UploadProductImageForm{Caption: &caption,
		Image: sdk.File{Name: "lamp.png", ContentType: "image/png", Reader: bytes.NewReader(img.Bytes()), Size: int64(img.Len())}}); err != nil {
		t.Errorf("UploadProductImage: %v", err)
	}
	if body, err := c.Products.GetProductImage(ctx, created.ID); err != nil {
		t.Errorf("GetProductImage: %v", err)
	} else {
		io.Copy(io.Discard, body)
		body.Close()
	}
	for _, err := range c.Products.StreamProductEvents(ctx, nil) {
		if err == nil {
			t.Error("Prism served an event stream; drop the exception in this test")
		}
		break
	}
	if err := c.Products.DeleteProduct(ctx, created.ID, nil); err != nil {
		t.Errorf("DeleteProduct: %v", err)
	}
	rec.Check(t, "products.yaml")
}
