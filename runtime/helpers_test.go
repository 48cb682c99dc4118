package runtime_test

import (
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/mailru/easyjson/jlexer"
)

func decodeChat(c *runtime.Call, body string) error {
	l := jlexer.Lexer{Data: []byte(body)}
	c.Chat.UnmarshalEasyJSON(&l)
	return l.Error()
}

func decodeEmbedding(c *runtime.Call, body string) error {
	l := jlexer.Lexer{Data: []byte(body)}
	c.Embedding.UnmarshalEasyJSON(&l)
	return l.Error()
}
