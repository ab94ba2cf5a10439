package wire_test

import (
	"fmt"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
	"guichet/sync/wire"
)

func Example() {
	// The kiosk builds a batch from its outbox.
	r := request.Request{
		ID:          "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		Tracking:    tracking.Number("AC43RHEY73T3"),
		Service:     "bulletin3",
		Court:       "tpi-casablanca",
		Fee:         2000,
		Currency:    "MAD",
		PackVersion: 3,
		CreatedAt:   time.Date(2026, 3, 2, 9, 31, 0, 0, time.UTC),
	}
	batch := wire.RequestBatch{
		KioskID:   "ma-casa-tpi-01",
		MessageID: "m-0003",
		Items:     []wire.RequestItem{wire.NewRequestItem(r, []byte("sealed envelope"))},
	}
	body, err := wire.Marshal(&batch)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The registry decodes it strictly and checks the body hash.
	var got wire.RequestBatch
	if err := wire.Unmarshal(body, &got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Items[0].Tracking, got.Items[0].BodyHash == got.Items[0].ComputeBodyHash())

	// An item altered on the way is refused.
	got.Items[0].Fee = 20
	fmt.Println(got.Validate())
	// Output:
	// AC43-RHEY-73T3 true
	// wire: invalid message: body hash 12c217a0b4f2827732f32b9c782663d26548f2ad44d9e7124ac11d001a2cdb3a is not the hash of the body (item 0)
}
