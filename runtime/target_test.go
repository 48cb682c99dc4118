package runtime

import "testing"

func TestCompileGlobalRegion(t *testing.T) {
	const u = "https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent"
	for region, want := range map[string]string{
		"global":      "https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/google/models/gemini-2.0-flash:generateContent",
		"us-central1": "https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
	} {
		tmpl, err := compile(u, keyVars{region: region, project: "p1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(tmpl.appendURL(nil, "gemini-2.0-flash", nil)); got != want {
			t.Errorf("%s: got %s, want %s", region, got, want)
		}
	}
}
