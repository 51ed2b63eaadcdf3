;; A component exporting a handler the runtime has no method for, as an external trigger's
;; world does: `handle-event: func(count: u32) -> result<_, string>`, ok for an even count,
;; error "odd" for an odd one. Called through `Guest.handle_export`.
(component
  (core module $m
    (memory (export "memory") 1)
    (data (i32.const 16) "odd")
    ;; The result at 32: case at +0 (0 ok, 1 error), the string's pointer at +4, length at +8.
    (func (export "handle-event") (param $count i32) (result i32)
      (i32.store8 (i32.const 32) (i32.and (local.get $count) (i32.const 1)))
      (i32.store (i32.const 36) (i32.const 16))
      (i32.store (i32.const 40) (i32.const 3))
      (i32.const 32)))
  (core instance $i (instantiate $m))
  (func (export "handle-event") (param "count" u32) (result (result (error string)))
    (canon lift (core func $i "handle-event")
      (memory (core memory $i "memory")))))
