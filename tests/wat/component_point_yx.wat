;; A record whose fields are in the order "y", "x": with component_point_xy.wat, two
;; components whose `echo` has the same shape of signature (record -> record) but not the same
;; type, for one host function (tests/runtime/test_binding.py). `echo` passes its argument to
;; the imported `echo` and returns what that returned.
(component
  (import "test:point/host" (instance $host
    (type $point' (record (field "y" string) (field "x" u32)))
    (export "point" (type $point (eq $point')))
    (export "echo" (func (param "p" $point) (result $point)))))
  (alias export $host "point" (type $point))
  (alias export $host "echo" (func $host-echo))
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
  (core func $lowered-echo (canon lower (func $host-echo)
    (memory (core memory $memory "memory")) (realloc (core func $memory "realloc"))))
  (core module $Point
    (import "host" "echo" (func $echo (param i32 i32 i32 i32)))
    (func (export "echo") (param i32 i32 i32) (result i32)
      (call $echo (local.get 0) (local.get 1) (local.get 2) (i32.const 1024))
      (i32.const 1024)))
  (core instance $point (instantiate $Point
    (with "host" (instance (export "echo" (func $lowered-echo))))))
  (func $guest-echo (param "p" $point) (result $point)
    (canon lift (core func $point "echo")
      (memory (core memory $memory "memory")) (realloc (core func $memory "realloc"))))
  (instance $guest (export "point" (type $point)) (export "echo" (func $guest-echo)))
  (export "test:point/guest" (instance $guest)))
