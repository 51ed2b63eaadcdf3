;; A component exporting `wasi:http/incoming-handler@0.2.0` whose behaviour depends on the
;; request path (route it with `/...`), for the edge cases of serving wasi:http:
;;   /echo...      200; headers `echo-path` (the path with query) and `spin-path-info` (copied
;;                 from the request's Spin header); the request body streamed back, read 64 KiB
;;                 at a time; prints "echo <path>" to stdout (wasi:cli/stdout, imported @0.2.3)
;;   /trailers     200, "with trailers\n", finished with trailers `x-checksum: abc123`
;;   /trap         200 set, "partial body\n" written, then a trap
;;   /early        a trap before the response is set
;;   /never        returns without setting the response
;;   /wait         200 set, then a wait of 60 s (monotonic-clock.subscribe-duration and
;;                 pollable.block) before "after the wait\n": the head must not wait with it
;;   /huge/<n>     200, n chunks of 64 KiB of zeroes (n in decimal), written with
;;                 `blocking-write-zeroes-and-flush` (no bytes cross the component boundary:
;;                 the test is of the streaming, not of wasmtime's list<u8> conversion)
(component $C
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $pollable (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow $pollable))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer $C $pollable (type $pollable-outer))
    (export "pollable" (type $pollable (eq $pollable-outer)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $pollable))))))
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
        (result (result (error $stream-error)))))
    (export "[method]output-stream.blocking-write-zeroes-and-flush"
      (func (param "self" (borrow $output-stream)) (param "len" u64)
        (result (result (error $stream-error)))))))
  (alias export $streams "input-stream" (type $input-stream))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.3" (instance $stdout
    (alias outer $C $output-stream (type $output-stream-outer))
    (export "output-stream" (type $output-stream (eq $output-stream-outer)))
    (export "get-stdout" (func (result (own $output-stream))))))
  (import "wasi:http/types@0.2.0" (instance $types
    (alias outer $C $input-stream (type $input-stream-outer))
    (export "input-stream" (type $input-stream (eq $input-stream-outer)))
    (alias outer $C $output-stream (type $output-stream-outer))
    (export "output-stream" (type $output-stream (eq $output-stream-outer)))
    (type $error-code-t
      (variant (case "HTTP-protocol-error") (case "internal-error" (option string))))
    (export "error-code" (type $error-code (eq $error-code-t)))
    (type $header-error-t (variant (case "invalid-syntax") (case "forbidden") (case "immutable")))
    (export "header-error" (type $header-error (eq $header-error-t)))
    (export "fields" (type $fields (sub resource)))
    (export "incoming-request" (type $incoming-request (sub resource)))
    (export "incoming-body" (type $incoming-body (sub resource)))
    (export "outgoing-response" (type $outgoing-response (sub resource)))
    (export "outgoing-body" (type $outgoing-body (sub resource)))
    (export "response-outparam" (type $response-outparam (sub resource)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]fields.get"
      (func (param "self" (borrow $fields)) (param "name" string) (result (list (list u8)))))
    (export "[method]fields.append"
      (func (param "self" (borrow $fields)) (param "name" string) (param "value" (list u8))
        (result (result (error $header-error)))))
    (export "[method]incoming-request.path-with-query"
      (func (param "self" (borrow $incoming-request)) (result (option string))))
    (export "[method]incoming-request.headers"
      (func (param "self" (borrow $incoming-request)) (result (own $fields))))
    (export "[method]incoming-request.consume"
      (func (param "self" (borrow $incoming-request)) (result (result (own $incoming-body)))))
    (export "[method]incoming-body.stream"
      (func (param "self" (borrow $incoming-body)) (result (result (own $input-stream)))))
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
  (alias export $types "fields" (type $fields))
  (alias export $types "incoming-request" (type $incoming-request))
  (alias export $types "incoming-body" (type $incoming-body))
  (alias export $types "response-outparam" (type $response-outparam))

  ;; Memory and a bump allocator in their own core instance, for the lowered imports.
  (core module $Memory
    (memory (export "memory") 1)
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
  (core func $fields-get
    (canon lower (func $types "[method]fields.get") (memory $mem) (realloc $realloc)))
  (core func $fields-append
    (canon lower (func $types "[method]fields.append") (memory $mem) (realloc $realloc)))
  (core func $request-path
    (canon lower (func $types "[method]incoming-request.path-with-query")
      (memory $mem) (realloc $realloc)))
  (core func $request-headers (canon lower (func $types "[method]incoming-request.headers")))
  (core func $request-consume
    (canon lower (func $types "[method]incoming-request.consume") (memory $mem) (realloc $realloc)))
  (core func $body-stream (canon lower (func $types "[method]incoming-body.stream") (memory $mem) (realloc $realloc)))
  (core func $response-new (canon lower (func $types "[constructor]outgoing-response")))
  (core func $response-body
    (canon lower (func $types "[method]outgoing-response.body") (memory $mem) (realloc $realloc)))
  (core func $body-write (canon lower (func $types "[method]outgoing-body.write") (memory $mem) (realloc $realloc)))
  (core func $body-finish
    (canon lower (func $types "[static]outgoing-body.finish") (memory $mem) (realloc $realloc)))
  (core func $outparam-set
    (canon lower (func $types "[static]response-outparam.set") (memory $mem) (realloc $realloc)))
  (core func $read
    (canon lower (func $streams "[method]input-stream.blocking-read")
      (memory $mem) (realloc $realloc)))
  (core func $write-and-flush
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory $mem) (realloc $realloc)))
  (core func $write-zeroes
    (canon lower (func $streams "[method]output-stream.blocking-write-zeroes-and-flush")
      (memory $mem) (realloc $realloc)))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $subscribe-duration (canon lower (func $clock "subscribe-duration")))
  (core func $block (canon lower (func $poll "[method]pollable.block")))
  (core func $drop-fields (canon resource.drop $fields))
  (core func $drop-request (canon resource.drop $incoming-request))
  (core func $drop-incoming-body (canon resource.drop $incoming-body))
  (core func $drop-input (canon resource.drop $input-stream))
  (core func $drop-output (canon resource.drop $output-stream))

  (core module $Cases
    (import "memory" "memory" (memory 1))
    (import "memory" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
    (import "host" "fields-new" (func $fields-new (result i32)))
    (import "host" "fields-get" (func $fields-get (param i32 i32 i32 i32)))
    (import "host" "fields-append" (func $fields-append (param i32 i32 i32 i32 i32 i32)))
    (import "host" "request-path" (func $request-path (param i32 i32)))
    (import "host" "request-headers" (func $request-headers (param i32) (result i32)))
    (import "host" "request-consume" (func $request-consume (param i32 i32)))
    (import "host" "body-stream" (func $body-stream (param i32 i32)))
    (import "host" "response-new" (func $response-new (param i32) (result i32)))
    (import "host" "response-body" (func $response-body (param i32 i32)))
    (import "host" "body-write" (func $body-write (param i32 i32)))
    (import "host" "body-finish" (func $body-finish (param i32 i32 i32 i32)))
    (import "host" "outparam-set" (func $outparam-set (param i32 i32 i32 i32 i32 i32)))
    (import "host" "read" (func $read (param i32 i64 i32)))
    (import "host" "write-and-flush" (func $write-and-flush (param i32 i32 i32 i32)))
    (import "host" "write-zeroes" (func $write-zeroes (param i32 i64 i32)))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "subscribe-duration" (func $subscribe-duration (param i64) (result i32)))
    (import "host" "block" (func $block (param i32)))
    (import "host" "drop-fields" (func $drop-fields (param i32)))
    (import "host" "drop-request" (func $drop-request (param i32)))
    (import "host" "drop-incoming-body" (func $drop-incoming-body (param i32)))
    (import "host" "drop-input" (func $drop-input (param i32)))
    (import "host" "drop-output" (func $drop-output (param i32)))
    (data (i32.const 16) "/echo")            ;; 5
    (data (i32.const 24) "/trailers")        ;; 9
    (data (i32.const 40) "/trap")            ;; 5
    (data (i32.const 48) "/early")           ;; 6
    (data (i32.const 56) "/never")           ;; 6
    (data (i32.const 64) "/huge/")           ;; 6
    (data (i32.const 80) "echo-path")        ;; 9
    (data (i32.const 96) "spin-path-info")   ;; 14
    (data (i32.const 112) "x-checksum")      ;; 10
    (data (i32.const 128) "abc123")          ;; 6
    (data (i32.const 144) "with trailers\n") ;; 14
    (data (i32.const 160) "partial body\n")  ;; 13
    (data (i32.const 176) "echo ")           ;; 5
    (data (i32.const 184) "\n")              ;; 1
    (data (i32.const 192) "/wait")           ;; 5
    (data (i32.const 200) "after the wait\n") ;; 15
    ;; Results come back at 256 (a discriminant byte, the payload from 260); the path is kept
    ;; at 512/516 and the response's body and stream handles in globals.
    (global $body (mut i32) (i32.const 0))
    (global $stream (mut i32) (i32.const 0))

    (func $ok (if (i32.load8_u (i32.const 256)) (then unreachable)))
    (func $path-ptr (result i32) (i32.load (i32.const 512)))
    (func $path-len (result i32) (i32.load (i32.const 516)))
    ;; Whether the path starts with the `len` bytes at `lit`.
    (func $prefix (param $lit i32) (param $len i32) (result i32)
      (local $i i32)
      (if (i32.lt_u (call $path-len) (local.get $len)) (then (return (i32.const 0))))
      (loop $next
        (if (i32.eq (local.get $i) (local.get $len)) (then (return (i32.const 1))))
        (if (i32.ne (i32.load8_u (i32.add (call $path-ptr) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $lit) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))
      (i32.const 0))
    (func $append (param $fields i32) (param $name i32) (param $name-len i32)
      (param $value i32) (param $value-len i32)
      (call $fields-append (local.get $fields) (local.get $name) (local.get $name-len)
        (local.get $value) (local.get $value-len) (i32.const 256))
      (call $ok))
    ;; Send a 200 response with `headers` and open its body for writing.
    (func $start (param $outparam i32) (param $headers i32)
      (local $response i32)
      (local.set $response (call $response-new (local.get $headers)))
      (call $response-body (local.get $response) (i32.const 256))
      (call $ok)
      (global.set $body (i32.load (i32.const 260)))
      (call $body-write (global.get $body) (i32.const 256))
      (call $ok)
      (global.set $stream (i32.load (i32.const 260)))
      (call $outparam-set (local.get $outparam) (i32.const 0) (local.get $response)
        (i32.const 0) (i32.const 0) (i32.const 0)))
    (func $write (param $ptr i32) (param $len i32)
      (call $write-and-flush (global.get $stream) (local.get $ptr) (local.get $len)
        (i32.const 256))
      (call $ok))
    ;; Finish the body, with trailers when `trailers` is a handle (not 0).
    (func $finish (param $trailers i32)
      (call $drop-output (global.get $stream))
      (call $body-finish (global.get $body) (i32.ne (local.get $trailers) (i32.const 0))
        (local.get $trailers) (i32.const 256))
      (call $ok))

    (func $echo (param $request i32) (param $outparam i32)
      (local $headers i32) (local $request-headers i32) (local $values i32)
      (local $incoming-body i32) (local $input i32) (local $stdout i32)
      (local.set $headers (call $fields-new))
      (call $append (local.get $headers) (i32.const 80) (i32.const 9)
        (call $path-ptr) (call $path-len))
      (local.set $request-headers (call $request-headers (local.get $request)))
      (call $fields-get (local.get $request-headers) (i32.const 96) (i32.const 14)
        (i32.const 256))
      (if (i32.load (i32.const 260))
        (then
          (local.set $values (i32.load (i32.const 256)))
          (call $append (local.get $headers) (i32.const 96) (i32.const 14)
            (i32.load (local.get $values)) (i32.load offset=4 (local.get $values)))))
      (call $drop-fields (local.get $request-headers))
      (local.set $stdout (call $get-stdout))
      (call $write-and-flush (local.get $stdout) (i32.const 176) (i32.const 5) (i32.const 256))
      (call $write-and-flush (local.get $stdout) (call $path-ptr) (call $path-len)
        (i32.const 256))
      (call $write-and-flush (local.get $stdout) (i32.const 184) (i32.const 1) (i32.const 256))
      (call $drop-output (local.get $stdout))
      (call $request-consume (local.get $request) (i32.const 256))
      (call $ok)
      (local.set $incoming-body (i32.load (i32.const 260)))
      (call $body-stream (local.get $incoming-body) (i32.const 256))
      (call $ok)
      (local.set $input (i32.load (i32.const 260)))
      (call $start (local.get $outparam) (local.get $headers))
      (block $closed
        (loop $more
          (call $read (local.get $input) (i64.const 65536) (i32.const 256))
          (br_if $closed (i32.load8_u (i32.const 256)))
          (call $write (i32.load (i32.const 260)) (i32.load (i32.const 264)))
          (br $more)))
      (call $drop-input (local.get $input))
      (call $drop-incoming-body (local.get $incoming-body))
      (call $finish (i32.const 0)))

    (func $trailers (param $outparam i32)
      (local $trailers i32)
      (call $start (local.get $outparam) (call $fields-new))
      (call $write (i32.const 144) (i32.const 14))
      (local.set $trailers (call $fields-new))
      (call $append (local.get $trailers) (i32.const 112) (i32.const 10) (i32.const 128)
        (i32.const 6))
      (call $finish (local.get $trailers)))

    (func $huge (param $outparam i32)
      (local $count i32) (local $i i32) (local $digit i32)
      (local.set $i (i32.const 6))
      (block $end
        (loop $digits
          (br_if $end (i32.ge_u (local.get $i) (call $path-len)))
          (local.set $digit
            (i32.sub (i32.load8_u (i32.add (call $path-ptr) (local.get $i))) (i32.const 48)))
          (br_if $end (i32.gt_u (local.get $digit) (i32.const 9)))
          (local.set $count
            (i32.add (i32.mul (local.get $count) (i32.const 10)) (local.get $digit)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $digits)))
      (call $start (local.get $outparam) (call $fields-new))
      (local.set $i (i32.const 0))
      (block $done
        (loop $chunk
          (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
          (call $write-zeroes (global.get $stream) (i64.const 65536) (i32.const 256))
          (call $ok)
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $chunk)))
      (call $finish (i32.const 0)))

    (func (export "handle") (param $request i32) (param $outparam i32)
      (call $request-path (local.get $request) (i32.const 256))
      (i32.store (i32.const 512) (i32.load (i32.const 260)))
      (i32.store (i32.const 516) (i32.load (i32.const 264)))
      (if (call $prefix (i32.const 16) (i32.const 5))
        (then (call $echo (local.get $request) (local.get $outparam)) (return)))
      (call $drop-request (local.get $request))
      (if (call $prefix (i32.const 24) (i32.const 9))
        (then (call $trailers (local.get $outparam)) (return)))
      (if (call $prefix (i32.const 40) (i32.const 5))
        (then
          (call $start (local.get $outparam) (call $fields-new))
          (call $write (i32.const 160) (i32.const 13))
          (unreachable)))
      (if (call $prefix (i32.const 48) (i32.const 6)) (then (unreachable)))
      (if (call $prefix (i32.const 56) (i32.const 6)) (then (return)))
      (if (call $prefix (i32.const 64) (i32.const 6))
        (then (call $huge (local.get $outparam)) (return)))
      (if (call $prefix (i32.const 192) (i32.const 5))
        (then
          (call $start (local.get $outparam) (call $fields-new))
          (call $block (call $subscribe-duration (i64.const 60000000000)))
          (call $write (i32.const 200) (i32.const 15))
          (call $finish (i32.const 0))
          (return)))
      (unreachable)))
  (core instance $cases (instantiate $Cases
    (with "memory" (instance $memory))
    (with "host" (instance
      (export "fields-new" (func $fields-new))
      (export "fields-get" (func $fields-get))
      (export "fields-append" (func $fields-append))
      (export "request-path" (func $request-path))
      (export "request-headers" (func $request-headers))
      (export "request-consume" (func $request-consume))
      (export "body-stream" (func $body-stream))
      (export "response-new" (func $response-new))
      (export "response-body" (func $response-body))
      (export "body-write" (func $body-write))
      (export "body-finish" (func $body-finish))
      (export "outparam-set" (func $outparam-set))
      (export "read" (func $read))
      (export "write-and-flush" (func $write-and-flush))
      (export "write-zeroes" (func $write-zeroes))
      (export "get-stdout" (func $get-stdout))
      (export "subscribe-duration" (func $subscribe-duration))
      (export "block" (func $block))
      (export "drop-fields" (func $drop-fields))
      (export "drop-request" (func $drop-request))
      (export "drop-incoming-body" (func $drop-incoming-body))
      (export "drop-input" (func $drop-input))
      (export "drop-output" (func $drop-output))))))

  (func $handle (param "request" (own $incoming-request))
    (param "response-out" (own $response-outparam))
    (canon lift (core func $cases "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler))
)
