;; A component exporting `wasi:http/incoming-handler@0.2.0` that answers every request with
;; 200, `content-type: text/plain` and "Hello, Fermyon!\n", the way the SDKs do it: a response
;; with headers, `response-outparam.set`, then the body written to its stream and finished.
;; It declares only the parts of WASI it calls (the benchmark's wasi:http hello world).
(component $C
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer $C $error (type $error-outer))
    (export "error" (type $err (eq $error-outer)))
    (type $stream-error-t (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $stream-error-t)))
    (export "output-stream" (type $output-stream (sub resource)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $output-stream)) (param "contents" (list u8))
        (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:http/types@0.2.0" (instance $types
    (alias outer $C $output-stream (type $output-stream-outer))
    (export "output-stream" (type $output-stream (eq $output-stream-outer)))
    (type $error-code-t (variant (case "HTTP-protocol-error") (case "internal-error" (option string))))
    (export "error-code" (type $error-code (eq $error-code-t)))
    (type $header-error-t (variant (case "invalid-syntax") (case "forbidden") (case "immutable")))
    (export "header-error" (type $header-error (eq $header-error-t)))
    (export "fields" (type $fields (sub resource)))
    (export "incoming-request" (type $incoming-request (sub resource)))
    (export "outgoing-response" (type $outgoing-response (sub resource)))
    (export "outgoing-body" (type $outgoing-body (sub resource)))
    (export "response-outparam" (type $response-outparam (sub resource)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]fields.append"
      (func (param "self" (borrow $fields)) (param "name" string) (param "value" (list u8))
        (result (result (error $header-error)))))
    (export "[constructor]outgoing-response"
      (func (param "headers" (own $fields)) (result (own $outgoing-response))))
    (export "[method]outgoing-response.body"
      (func (param "self" (borrow $outgoing-response)) (result (result (own $outgoing-body)))))
    (export "[method]outgoing-body.write"
      (func (param "self" (borrow $outgoing-body)) (result (result (own $output-stream)))))
    (export "[static]outgoing-body.finish"
      (func (param "this" (own $outgoing-body)) (param "trailers" (option (own $fields)))
        (result (result (error $error-code)))))
    (export "[static]response-outparam.set"
      (func (param "param" (own $response-outparam))
        (param "response" (result (own $outgoing-response) (error $error-code)))))))
  (alias export $types "incoming-request" (type $incoming-request))
  (alias export $types "response-outparam" (type $response-outparam))

  ;; Memory and allocator in their own core instance, so that the lowered imports can use them.
  (core module $Memory
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc")
      (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $ptr i32)
      (local.set $ptr
        (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
                 (i32.sub (i32.const 0) (local.get $align))))
      (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
      (local.get $ptr)))
  (core instance $memory (instantiate $Memory))
  (alias core export $memory "memory" (core memory $mem))
  (alias core export $memory "realloc" (core func $realloc))

  (core func $fields-new (canon lower (func $types "[constructor]fields")))
  (core func $fields-append
    (canon lower (func $types "[method]fields.append") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $response-new (canon lower (func $types "[constructor]outgoing-response")))
  (core func $response-body
    (canon lower (func $types "[method]outgoing-response.body") (memory $mem) (realloc $realloc)))
  (core func $body-write (canon lower (func $types "[method]outgoing-body.write") (memory $mem) (realloc $realloc)))
  (core func $body-finish
    (canon lower (func $types "[static]outgoing-body.finish") (memory $mem) (realloc $realloc)))
  (core func $outparam-set
    (canon lower (func $types "[static]response-outparam.set") (memory $mem) (realloc $realloc)))
  (core func $write-and-flush
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory $mem) (realloc $realloc)))
  (core func $drop-request (canon resource.drop $incoming-request))
  (core func $drop-stream (canon resource.drop $output-stream))

  (core module $Hello
    (import "memory" "memory" (memory 1))
    (import "host" "fields-new" (func $fields-new (result i32)))
    (import "host" "fields-append" (func $fields-append (param i32 i32 i32 i32 i32 i32)))
    (import "host" "response-new" (func $response-new (param i32) (result i32)))
    (import "host" "response-body" (func $response-body (param i32 i32)))
    (import "host" "body-write" (func $body-write (param i32 i32)))
    (import "host" "body-finish" (func $body-finish (param i32 i32 i32 i32)))
    (import "host" "outparam-set" (func $outparam-set (param i32 i32 i32 i32 i32 i32)))
    (import "host" "write-and-flush" (func $write-and-flush (param i32 i32 i32 i32)))
    (import "host" "drop-request" (func $drop-request (param i32)))
    (import "host" "drop-stream" (func $drop-stream (param i32)))
    (data (i32.const 16) "content-type")      ;; 12
    (data (i32.const 32) "text/plain")        ;; 10
    (data (i32.const 48) "Hello, Fermyon!\n") ;; 16
    ;; Results come back at 256: a discriminant byte, then the payload at 260.
    (func $ok (if (i32.load8_u (i32.const 256)) (then unreachable)))
    (func (export "handle") (param $request i32) (param $outparam i32)
      (local $headers i32) (local $response i32) (local $body i32) (local $stream i32)
      (call $drop-request (local.get $request))
      (local.set $headers (call $fields-new))
      (call $fields-append (local.get $headers) (i32.const 16) (i32.const 12) (i32.const 32)
        (i32.const 10) (i32.const 256))
      (call $ok)
      (local.set $response (call $response-new (local.get $headers)))
      (call $response-body (local.get $response) (i32.const 256))
      (call $ok)
      (local.set $body (i32.load (i32.const 260)))
      (call $body-write (local.get $body) (i32.const 256))
      (call $ok)
      (local.set $stream (i32.load (i32.const 260)))
      (call $outparam-set (local.get $outparam) (i32.const 0) (local.get $response)
        (i32.const 0) (i32.const 0) (i32.const 0))
      (call $write-and-flush (local.get $stream) (i32.const 48) (i32.const 16) (i32.const 256))
      (call $ok)
      (call $drop-stream (local.get $stream))
      (call $body-finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 256))
      (call $ok)))
  (core instance $hello (instantiate $Hello
    (with "memory" (instance $memory))
    (with "host" (instance
      (export "fields-new" (func $fields-new))
      (export "fields-append" (func $fields-append))
      (export "response-new" (func $response-new))
      (export "response-body" (func $response-body))
      (export "body-write" (func $body-write))
      (export "body-finish" (func $body-finish))
      (export "outparam-set" (func $outparam-set))
      (export "write-and-flush" (func $write-and-flush))
      (export "drop-request" (func $drop-request))
      (export "drop-stream" (func $drop-stream))))))

  (func $handle (param "request" (own $incoming-request))
    (param "response-out" (own $response-outparam))
    (canon lift (core func $hello "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler))
)
