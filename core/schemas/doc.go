// Package schemas holds the types of Bifrost's Go package API under the names that the
// upstream Bifrost Go package and its launch post use: [ModelProvider] and its constants,
// [Account], [BifrostConfig], [Key], [ProviderConfig], [NetworkConfig],
// [ConcurrencyAndBufferSize], [BifrostRequest], [RequestInput], [Message], [ModelParameters],
// [BifrostResponse], [BifrostError] and [Plugin].
//
// Code written against upstream's github.com/maximhq/bifrost/core/schemas compiles against
// this package with only its import path changed. The package github.com/bifrost-gw/bifrost/core
// (package bifrost) runs these types on the gateway's engine (package runtime); they are
// a thin layer for applications that embed Bifrost, and the HTTP server does not use them.
package schemas
