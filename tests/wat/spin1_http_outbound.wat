;; A Spin 1.x HTTP guest that forwards its request as an outbound request: the inbound
;; request's method, uri, headers, params and body go unchanged to
;; `wasi-outbound-http::request` (both records flatten to the same ten i32), so the test
;; chooses the destination through the inbound uri. A uri that begins with `/proxy` loses that
;; prefix (so `/proxy/hello` served by an app becomes the relative request `/hello`).
;; On success it returns the response it got (status, headers, body as received).
;; On error it returns status 590 + the `http-error` code (1 destination-not-allowed,
;; 2 invalid-url, 3 request-error, 4 runtime-error, 5 too-many-requests), no headers, no body.
(module
  (import "wasi-outbound-http" "request"
    (func $request (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 64) "/proxy")

  (func $realloc (export "canonical_abi_realloc")
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
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))

  (func (export "canonical_abi_free") (param i32 i32 i32))

  (func (export "handle-http-request")
    (param $method i32) (param $uri_ptr i32) (param $uri_len i32)
    (param $headers_ptr i32) (param $headers_len i32) (param $params_ptr i32)
    (param $params_len i32) (param $has_body i32) (param $body_ptr i32) (param $body_len i32)
    (result i32)
    (if (i32.and (i32.ge_u (local.get $uri_len) (i32.const 6))
          (i32.and (i32.eq (i32.load (local.get $uri_ptr)) (i32.load (i32.const 64)))
                   (i32.eq (i32.load16_u offset=4 (local.get $uri_ptr))
                           (i32.load16_u offset=4 (i32.const 64)))))
      (then
        (local.set $uri_ptr (i32.add (local.get $uri_ptr) (i32.const 6)))
        (local.set $uri_len (i32.sub (local.get $uri_len) (i32.const 6)))))
    ;; the result area: expected<response, http-error>, 32 bytes at 256
    (call $request (local.get $method) (local.get $uri_ptr) (local.get $uri_len)
      (local.get $headers_ptr) (local.get $headers_len) (local.get $params_ptr)
      (local.get $params_len) (local.get $has_body) (local.get $body_ptr) (local.get $body_len)
      (i32.const 256))
    (if (i32.load8_u (i32.const 256))
      (then
        ;; err: a response of our own at 512
        (i32.store16 (i32.const 512) (i32.add (i32.const 590) (i32.load8_u (i32.const 260))))
        (i32.store8 (i32.const 516) (i32.const 0))
        (i32.store8 (i32.const 528) (i32.const 0))
        (return (i32.const 512))))
    ;; ok: the response record starts at the payload offset, 4
    (i32.const 260))
)
