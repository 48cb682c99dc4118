package deps
import (
 _ "github.com/dave/jennifer/jen"
 _ "github.com/mailru/easyjson"
 _ "github.com/mailru/easyjson/bootstrap"
 _ "github.com/mailru/easyjson/parser"
 _ "github.com/valyala/fasthttp"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/tsenart/vegeta/v12/lib"
 _ "gopkg.in/yaml.v3"
)
