;; A component exporting `wasi:http/incoming-handler@0.2.0` that makes the request it receives
;; as an outgoing one (`wasi:http/outgoing-handler.handle`): scheme http, the incoming
;; request's authority and path-with-query, no headers, no body. It answers with what it got:
;; the response's status and body (read with `blocking-read` until the stream closes), or, when
;; the request failed, status 590 + the error code's case in the order declared below
;; (590 HTTP-request-denied, 591 HTTP-request-URI-invalid, 592 connection-refused,
;; 593 connection-read-timeout, 594 HTTP-protocol-error, 595 internal-error) and no body.
;; It declares only the parts of WASI it calls, and only these error-code cases.
(component $C
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $pollable (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow $pollable))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer $C $error (type $error-outer))
    (export "error" (type $err (eq $error-outer)))
    (type $stream-error-t (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $stream-error-t)))
    (export "input-stream" (type $input-stream (sub resource)))
    (export "output-stream" (type $output-stream (sub resource)))
    (export "[method]input-stream.blocking-read"
      (func (param "self" (borrow $input-stream)) (param "len" u64)
        (result (result (list u8) (error $stream-error)))))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $output-stream)) (param "contents" (list u8))
        (result (result (error $stream-error)))))))
  (alias export $streams "input-stream" (type $input-stream))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:http/types@0.2.0" (instance $types
    (alias outer $C $input-stream (type $input-stream-outer))
    (export "input-stream" (type $input-stream (eq $input-stream-outer)))
    (alias outer $C $output-stream (type $output-stream-outer))
    (export "output-stream" (type $output-stream (eq $output-stream-outer)))
    (alias outer $C $pollable (type $pollable-outer))
    (export "pollable" (type $pollable (eq $pollable-outer)))
    (type $scheme-t (variant (case "HTTP") (case "HTTPS") (case "other" string)))
    (export "scheme" (type $scheme (eq $scheme-t)))
    (type $error-code-t (variant
      (case "HTTP-request-denied") (case "HTTP-request-URI-invalid")
      (case "connection-refused") (case "connection-read-timeout")
      (case "HTTP-protocol-error") (case "internal-error" (option string))))
    (export "error-code" (type $error-code (eq $error-code-t)))
    (export "fields" (type $fields (sub resource)))
    (export "incoming-request" (type $incoming-request (sub resource)))
    (export "outgoing-request" (type $outgoing-request (sub resource)))
    (export "request-options" (type $request-options (sub resource)))
    (export "incoming-response" (type $incoming-response (sub resource)))
    (export "incoming-body" (type $incoming-body (sub resource)))
    (export "future-incoming-response" (type $future (sub resource)))
    (export "outgoing-response" (type $outgoing-response (sub resource)))
    (export "outgoing-body" (type $outgoing-body (sub resource)))
    (export "response-outparam" (type $response-outparam (sub resource)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]incoming-request.path-with-query"
      (func (param "self" (borrow $incoming-request)) (result (option string))))
    (export "[method]incoming-request.authority"
      (func (param "self" (borrow $incoming-request)) (result (option string))))
    (export "[constructor]outgoing-request"
      (func (param "headers" (own $fields)) (result (own $outgoing-request))))
    (export "[method]outgoing-request.set-scheme"
      (func (param "self" (borrow $outgoing-request)) (param "scheme" (option $scheme))
        (result (result))))
    (export "[method]outgoing-request.set-authority"
      (func (param "self" (borrow $outgoing-request)) (param "authority" (option string))
        (result (result))))
    (export "[method]outgoing-request.set-path-with-query"
      (func (param "self" (borrow $outgoing-request)) (param "path-with-query" (option string))
        (result (result))))
    (export "[method]future-incoming-response.subscribe"
      (func (param "self" (borrow $future)) (result (own $pollable))))
    (export "[method]future-incoming-response.get"
      (func (param "self" (borrow $future))
        (result (option (result (result (own $incoming-response) (error $error-code)))))))
    (export "[method]incoming-response.status"
      (func (param "self" (borrow $incoming-response)) (result u16)))
    (export "[method]incoming-response.consume"
      (func (param "self" (borrow $incoming-response)) (result (result (own $incoming-body)))))
    (export "[method]incoming-body.stream"
      (func (param "self" (borrow $incoming-body)) (result (result (own $input-stream)))))
    (export "[constructor]outgoing-response"
      (func (param "headers" (own $fields)) (result (own $outgoing-response))))
    (export "[method]outgoing-response.set-status-code"
      (func (param "self" (borrow $outgoing-response)) (param "status-code" u16)
        (result (result))))
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
  (alias export $types "outgoing-request" (type $outgoing-request))
  (alias export $types "request-options" (type $request-options))
  (alias export $types "future-incoming-response" (type $future))
  (alias export $types "error-code" (type $error-code))
  (alias export $types "incoming-response" (type $incoming-response))
  (alias export $types "incoming-body" (type $incoming-body))
  (import "wasi:http/outgoing-handler@0.2.0" (instance $outgoing
    (alias outer $C $outgoing-request (type $outgoing-request-outer))
    (export "outgoing-request" (type $outgoing-request (eq $outgoing-request-outer)))
    (alias outer $C $request-options (type $request-options-outer))
    (export "request-options" (type $request-options (eq $request-options-outer)))
    (alias outer $C $future (type $future-outer))
    (export "future-incoming-response" (type $future (eq $future-outer)))
    (alias outer $C $error-code (type $error-code-outer))
    (export "error-code" (type $error-code (eq $error-code-outer)))
    (export "handle"
      (func (param "request" (own $outgoing-request))
        (param "options" (option (own $request-options)))
        (result (result (own $future) (error $error-code)))))))

  (core module $Memory
    (memory (export "memory") 2)
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc")
      (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $ptr i32) (local $pages i32)
      (local.set $ptr
        (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
                 (i32.sub (i32.const 0) (local.get $align))))
      (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
      (local.set $pages
        (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16))
                 (memory.size)))
      (if (i32.gt_s (local.get $pages) (i32.const 0))
        (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
      (local.get $ptr)))
  (core instance $memory (instantiate $Memory))
  (alias core export $memory "memory" (core memory $mem))
  (alias core export $memory "realloc" (core func $realloc))

  (core func $fields-new (canon lower (func $types "[constructor]fields")))
  (core func $path-with-query
    (canon lower (func $types "[method]incoming-request.path-with-query") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $authority
    (canon lower (func $types "[method]incoming-request.authority") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $request-new (canon lower (func $types "[constructor]outgoing-request")))
  (core func $set-scheme
    (canon lower (func $types "[method]outgoing-request.set-scheme") (memory $mem) string-encoding=utf8))
  (core func $set-authority
    (canon lower (func $types "[method]outgoing-request.set-authority") (memory $mem) string-encoding=utf8))
  (core func $set-path
    (canon lower (func $types "[method]outgoing-request.set-path-with-query") (memory $mem) string-encoding=utf8))
  (core func $handle
    (canon lower (func $outgoing "handle") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $subscribe (canon lower (func $types "[method]future-incoming-response.subscribe")))
  (core func $block (canon lower (func $poll "[method]pollable.block")))
  (core func $get
    (canon lower (func $types "[method]future-incoming-response.get") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $status (canon lower (func $types "[method]incoming-response.status")))
  (core func $consume
    (canon lower (func $types "[method]incoming-response.consume") (memory $mem) (realloc $realloc)))
  (core func $body-stream
    (canon lower (func $types "[method]incoming-body.stream") (memory $mem) (realloc $realloc)))
  (core func $read
    (canon lower (func $streams "[method]input-stream.blocking-read") (memory $mem) (realloc $realloc)))
  (core func $response-new (canon lower (func $types "[constructor]outgoing-response")))
  (core func $set-status (canon lower (func $types "[method]outgoing-response.set-status-code")))
  (core func $response-body
    (canon lower (func $types "[method]outgoing-response.body") (memory $mem) (realloc $realloc)))
  (core func $body-write
    (canon lower (func $types "[method]outgoing-body.write") (memory $mem) (realloc $realloc)))
  (core func $body-finish
    (canon lower (func $types "[static]outgoing-body.finish") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $outparam-set
    (canon lower (func $types "[static]response-outparam.set") (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $write-and-flush
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory $mem) (realloc $realloc)))
  (core func $drop-request (canon resource.drop $incoming-request))
  (core func $drop-pollable (canon resource.drop $pollable))
  (core func $drop-input (canon resource.drop $input-stream))
  (core func $drop-output (canon resource.drop $output-stream))

  (core module $Outbound
    (import "memory" "memory" (memory 2))
    (import "host" "fields-new" (func $fields-new (result i32)))
    (import "host" "path-with-query" (func $path-with-query (param i32 i32)))
    (import "host" "authority" (func $authority (param i32 i32)))
    (import "host" "request-new" (func $request-new (param i32) (result i32)))
    (import "host" "set-scheme" (func $set-scheme (param i32 i32 i32 i32 i32) (result i32)))
    (import "host" "set-authority" (func $set-authority (param i32 i32 i32 i32) (result i32)))
    (import "host" "set-path" (func $set-path (param i32 i32 i32 i32) (result i32)))
    (import "host" "handle" (func $handle (param i32 i32 i32 i32)))
    (import "host" "subscribe" (func $subscribe (param i32) (result i32)))
    (import "host" "block" (func $block (param i32)))
    (import "host" "get" (func $get (param i32 i32)))
    (import "host" "status" (func $status (param i32) (result i32)))
    (import "host" "consume" (func $consume (param i32 i32)))
    (import "host" "body-stream" (func $body-stream (param i32 i32)))
    (import "host" "read" (func $read (param i32 i64 i32)))
    (import "host" "response-new" (func $response-new (param i32) (result i32)))
    (import "host" "set-status" (func $set-status (param i32 i32) (result i32)))
    (import "host" "response-body" (func $response-body (param i32 i32)))
    (import "host" "body-write" (func $body-write (param i32 i32)))
    (import "host" "body-finish" (func $body-finish (param i32 i32 i32 i32)))
    (import "host" "outparam-set" (func $outparam-set (param i32 i32 i32 i32 i32 i32)))
    (import "host" "write-and-flush" (func $write-and-flush (param i32 i32 i32 i32)))
    (import "host" "drop-request" (func $drop-request (param i32)))
    (import "host" "drop-pollable" (func $drop-pollable (param i32)))
    (import "host" "drop-input" (func $drop-input (param i32)))
    (import "host" "drop-output" (func $drop-output (param i32)))
    ;; Results come back at 256 (a discriminant byte, the payload at 260); the option<string>
    ;; results at 320 (path) and 336 (authority); future.get's at 384.
    (func $ok (if (i32.load8_u (i32.const 256)) (then unreachable)))

    ;; The outgoing request, sent: the future's result at 384 once it is ready.
    (func $send (param $incoming i32)
      (local $request i32) (local $future i32) (local $pollable i32)
      (call $path-with-query (local.get $incoming) (i32.const 320))
      (call $authority (local.get $incoming) (i32.const 336))
      (call $drop-request (local.get $incoming))
      (local.set $request (call $request-new (call $fields-new)))
      (if (call $set-scheme (local.get $request) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0))
        (then unreachable))
      (if (call $set-authority (local.get $request) (i32.load8_u (i32.const 336))
            (i32.load (i32.const 340)) (i32.load (i32.const 344)))
        (then unreachable))
      (if (call $set-path (local.get $request) (i32.load8_u (i32.const 320))
            (i32.load (i32.const 324)) (i32.load (i32.const 328)))
        (then unreachable))
      (call $handle (local.get $request) (i32.const 0) (i32.const 0) (i32.const 256))
      (call $ok)
      (local.set $future (i32.load (i32.const 260)))
      (local.set $pollable (call $subscribe (local.get $future)))
      (call $block (local.get $pollable))
      (call $drop-pollable (local.get $pollable))
      (call $get (local.get $future) (i32.const 384))
      ;; some, ok (the future was ready and read once)
      (if (i32.eqz (i32.load8_u (i32.const 384))) (then unreachable))
      (if (i32.load8_u (i32.const 388)) (then unreachable)))

    ;; Start the response with `status`; its body goes to 484 and the body's stream to 480.
    (func $respond (param $outparam i32) (param $status i32)
      (local $response i32)
      (local.set $response (call $response-new (call $fields-new)))
      (if (call $set-status (local.get $response) (local.get $status)) (then unreachable))
      (call $response-body (local.get $response) (i32.const 256))
      (call $ok)
      (i32.store (i32.const 484) (i32.load (i32.const 260)))
      (call $body-write (i32.load (i32.const 484)) (i32.const 256))
      (call $ok)
      (i32.store (i32.const 480) (i32.load (i32.const 260)))
      (call $outparam-set (local.get $outparam) (i32.const 0) (local.get $response)
        (i32.const 0) (i32.const 0) (i32.const 0)))

    (func $finish
      (call $drop-output (i32.load (i32.const 480)))
      (call $body-finish (i32.load (i32.const 484)) (i32.const 0) (i32.const 0) (i32.const 256))
      (call $ok))

    ;; Copy the incoming response's body to the outgoing one until the stream closes.
    (func $copy (param $response i32)
      (local $input i32)
      (call $consume (local.get $response) (i32.const 256))
      (call $ok)
      (call $body-stream (i32.load (i32.const 260)) (i32.const 256))
      (call $ok)
      (local.set $input (i32.load (i32.const 260)))
      (block $closed
        (loop $more
          ;; ok(list): ptr at 260, len at 264; err: the stream closed
          (call $read (local.get $input) (i64.const 65536) (i32.const 256))
          (br_if $closed (i32.load8_u (i32.const 256)))
          (call $write-and-flush (i32.load (i32.const 480)) (i32.load (i32.const 260))
            (i32.load (i32.const 264)) (i32.const 288))
          (if (i32.load8_u (i32.const 288)) (then unreachable))
          (br $more)))
      (call $drop-input (local.get $input)))

    (func (export "handle") (param $incoming i32) (param $outparam i32)
      (local $response i32)
      (call $send (local.get $incoming))
      (if (i32.load8_u (i32.const 392))
        (then
          ;; err(error-code): 590 + its case
          (call $respond (local.get $outparam)
            (i32.add (i32.const 590) (i32.load8_u (i32.const 396))))
          (call $finish)
          (return)))
      (local.set $response (i32.load (i32.const 396)))
      (call $respond (local.get $outparam) (call $status (local.get $response)))
      (call $copy (local.get $response))
      (call $finish)))
  (core instance $outbound (instantiate $Outbound
    (with "memory" (instance $memory))
    (with "host" (instance
      (export "fields-new" (func $fields-new))
      (export "path-with-query" (func $path-with-query))
      (export "authority" (func $authority))
      (export "request-new" (func $request-new))
      (export "set-scheme" (func $set-scheme))
      (export "set-authority" (func $set-authority))
      (export "set-path" (func $set-path))
      (export "handle" (func $handle))
      (export "subscribe" (func $subscribe))
      (export "block" (func $block))
      (export "get" (func $get))
      (export "status" (func $status))
      (export "consume" (func $consume))
      (export "body-stream" (func $body-stream))
      (export "read" (func $read))
      (export "response-new" (func $response-new))
      (export "set-status" (func $set-status))
      (export "response-body" (func $response-body))
      (export "body-write" (func $body-write))
      (export "body-finish" (func $body-finish))
      (export "outparam-set" (func $outparam-set))
      (export "write-and-flush" (func $write-and-flush))
      (export "drop-request" (func $drop-request))
      (export "drop-pollable" (func $drop-pollable))
      (export "drop-input" (func $drop-input))
      (export "drop-output" (func $drop-output))))))

  (func $handle-export (param "request" (own $incoming-request))
    (param "response-out" (own $response-outparam))
    (canon lift (core func $outbound "handle")))
  (instance $handler (export "handle" (func $handle-export)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler))
)
