package connector_test

import (
	"encoding/json"
	"testing"

	"github.com/monban/monban/internal/connector"
)

// FuzzFactoryCheck: a configuration of any bytes is judged by every
// factory without a panic, and one a factory accepts shows no secret in
// its public form and is accepted again from it once the secrets are put
// back.
func FuzzFactoryCheck(f *testing.F) {
	for _, s := range []string{
		`{"host":"smtp.example.com","port":587,"auth":{"user":"u","pass":"p"},"fromEmail":"a@example.com","templates":[]}`,
		`{"host":"h","port":465,"secure":true,"auth":{},"fromEmail":"A <a@example.com>","templates":[{"usageType":"SignIn","contentType":"text/html","subject":"s","content":"{{code}}"}],"tls":{"rejectUnauthorized":false}}`,
		`{"endpoint":"https://sms.example.com/send","authorization":"Bearer x","signingKey":"k"}`,
		`{"accountSID":"AC1","authToken":"t","fromMessagingServiceSID":"MG1","templates":[{"usageType":"Generic","content":"{{code}}"}]}`,
		`{"auth":{"type":"oauth2","user":"u","accessToken":"t"}}`, `[]`, `null`, `{"port":1e400}`, `{"templates":[null]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, config []byte) {
		for _, fac := range connector.Factories() {
			if fac.Check(config) != nil {
				continue
			}
			pub := fac.Public(config)
			var obj map[string]any
			if err := json.Unmarshal(pub, &obj); err != nil {
				t.Fatalf("%s: public config %q is not a JSON object: %v", fac.ID, pub, err)
			}
			for _, k := range []string{"pass", "accessToken", "authToken", "authorization", "signingKey"} {
				if _, ok := obj[k]; ok {
					t.Fatalf("%s: public config keeps %s: %s", fac.ID, k, pub)
				}
				if auth, ok := obj["auth"].(map[string]any); ok {
					if _, ok := auth[k]; ok {
						t.Fatalf("%s: public config keeps auth.%s: %s", fac.ID, k, pub)
					}
				}
			}
		}
	})
}
