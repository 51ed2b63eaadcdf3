;; A component exporting `fermyon:spin/inbound-http` that answers every request with 200,
;; `content-type: text/plain` and "Hello, Fermyon!\n" (the benchmark's component hello world).
(component
  (core module $Hello
    (memory (export "memory") 1)
    (data (i32.const 16) "content-type")     ;; 12
    (data (i32.const 32) "text/plain")       ;; 10
    (data (i32.const 48) "Hello, Fermyon!\n") ;; 16
    ;; one header pair (key ptr, key len, value ptr, value len)
    (data (i32.const 64) "\10\00\00\00\0c\00\00\00\20\00\00\00\0a\00\00\00")
    (global $heap (mut i32) (i32.const 4096))
    ;; a bump allocator: the request's data lands here and is never freed (one instance per
    ;; request)
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
      (if (local.get $old)
        (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
      (local.get $ptr))
    (func (export "handle-request")
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
      ;; the response record: status u16 @0; option<headers> @4; option<body> @16
      (i32.store16 (i32.const 256) (i32.const 200))
      (i32.store8 (i32.const 260) (i32.const 1))
      (i32.store (i32.const 264) (i32.const 64))
      (i32.store (i32.const 268) (i32.const 1))
      (i32.store8 (i32.const 272) (i32.const 1))
      (i32.store (i32.const 276) (i32.const 48))
      (i32.store (i32.const 280) (i32.const 16))
      (i32.const 256)))
  (core instance $hello (instantiate $Hello))

  (type $method (enum "get" "post" "put" "delete" "patch" "head" "options"))
  (type $pairs (list (tuple string string)))
  (type $request (record
    (field "method" $method) (field "uri" string) (field "headers" $pairs)
    (field "params" $pairs) (field "body" (option (list u8)))))
  (type $response (record
    (field "status" u16) (field "headers" (option $pairs)) (field "body" (option (list u8)))))
  (func $handle-request (param "req" $request) (result $response)
    (canon lift (core func $hello "handle-request")
      (memory (core memory $hello "memory")) (realloc (core func $hello "realloc"))))
  (instance $inbound-http
    (export "method" (type $method))
    (export "request" (type $request))
    (export "response" (type $response))
    (export "handle-request" (func $handle-request)))
  (export "fermyon:spin/inbound-http" (instance $inbound-http))
)
