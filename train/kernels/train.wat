;; The training kernel of the simd engine (train/engine/): forward pass,
;; backward pass and optimizer steps of a Dense stack, four units per SIMD
;; instruction. Node only (the edge never trains), so it lives under train/.
;; Build: `npm run build:kernels` (wabt) writes train.wasm next to this file;
;; test/engine-kernel.test.ts checks the two agree byte for byte and that the
;; gradients and optimizer steps equal tfjs's.
;;
;; Layout (f32, byte offsets passed in): a layer's units are padded to `op`, a
;; multiple of 4. Its kernel is [in][op] (row k: the weights from input k),
;; its bias [op], its outputs and deltas [n][op]; padding holds zeros in the
;; weights and the deltas, so padded units never move and never feed forward.
;; `count` arguments are multiples of 4 (the buffers are padded to them).
(module
  (memory (export "memory") 1)

  ;; e^x, four lanes (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial; ≤ 2 ulp)
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.3))) (f32x4.splat (f32.const 88.3))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r)) (f32x4.splat (f32.const 1))))
    ;; × 2^n through the exponent bits
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  ;; activation kinds: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 elu
  (func $act (param $z v128) (param $kind i32) (result v128)
    (local $e v128)
    (if (i32.eq (local.get $kind) (i32.const 1)) (then (return (f32x4.max (local.get $z) (f32x4.splat (f32.const 0))))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then
      (return (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.splat (f32.const 1)) (call $exp (f32x4.neg (local.get $z))))))))
    (if (i32.eq (local.get $kind) (i32.const 3)) (then
      ;; tanh z = 1 − 2 / (e^{2z} + 1)
      (return (f32x4.sub (f32x4.splat (f32.const 1))
        (f32x4.div (f32x4.splat (f32.const 2)) (f32x4.add (call $exp (f32x4.add (local.get $z) (local.get $z))) (f32x4.splat (f32.const 1))))))))
    (if (i32.eq (local.get $kind) (i32.const 4)) (then
      (local.set $e (f32x4.sub (call $exp (f32x4.min (local.get $z) (f32x4.splat (f32.const 0)))) (f32x4.splat (f32.const 1))))
      (return (v128.bitselect (local.get $z) (local.get $e) (f32x4.gt (local.get $z) (f32x4.splat (f32.const 0)))))))
    (local.get $z))

  ;; the derivative from the activation's output h (as tfjs's gradients take it)
  (func $actGrad (param $h v128) (param $kind i32) (result v128)
    (local $one v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then
      (return (v128.and (f32x4.gt (local.get $h) (f32x4.splat (f32.const 0))) (local.get $one)))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then
      (return (f32x4.mul (local.get $h) (f32x4.sub (local.get $one) (local.get $h))))))
    (if (i32.eq (local.get $kind) (i32.const 3)) (then
      (return (f32x4.sub (local.get $one) (f32x4.mul (local.get $h) (local.get $h))))))
    (if (i32.eq (local.get $kind) (i32.const 4)) (then
      (return (v128.bitselect (local.get $one) (f32x4.add (local.get $h) (local.get $one)) (f32x4.ge (local.get $h) (f32x4.splat (f32.const 0)))))))
    (local.get $one))

  ;; h[n][op] = x[n][xs] · w[in][op] + b (rows k < in of x), sixteen then four units a turn
  (func (export "dense_forward") (param $x i32) (param $xs i32) (param $in i32) (param $w i32) (param $b i32) (param $h i32) (param $n i32) (param $op i32)
    (local $r i32) (local $j i32) (local $k i32) (local $xr i32) (local $hr i32) (local $wk i32) (local $wrow i32) (local $xv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $wrow (i32.shl (local.get $op) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rows (loop $row
      (br_if $rows (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $xr (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $xs)) (i32.const 2))))
      (local.set $hr (i32.add (local.get $h) (i32.mul (local.get $r) (local.get $wrow))))
      (local.set $j (i32.const 0))
      (block $b16 (loop $l16
        (br_if $b16 (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $op)))
        (local.set $a0 (v128.load offset=0 (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $a1 (v128.load offset=16 (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $a2 (v128.load offset=32 (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $a3 (v128.load offset=48 (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $wk (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $kd (loop $kl
          (br_if $kd (i32.ge_u (local.get $k) (local.get $in)))
          (local.set $xv (v128.load32_splat (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load offset=0 (local.get $wk)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load offset=16 (local.get $wk)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load offset=32 (local.get $wk)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load offset=48 (local.get $wk)))))
          (local.set $wk (i32.add (local.get $wk) (local.get $wrow)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kl)))
        (v128.store offset=0 (i32.add (local.get $hr) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $hr) (i32.shl (local.get $j) (i32.const 2))) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $hr) (i32.shl (local.get $j) (i32.const 2))) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $hr) (i32.shl (local.get $j) (i32.const 2))) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l16)))
      (block $b4 (loop $l4
        (br_if $b4 (i32.ge_u (local.get $j) (local.get $op)))
        (local.set $a0 (v128.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $wk (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $kd4 (loop $kl4
          (br_if $kd4 (i32.ge_u (local.get $k) (local.get $in)))
          (local.set $a0 (f32x4.add (local.get $a0)
            (f32x4.mul (v128.load32_splat (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))) (v128.load (local.get $wk)))))
          (local.set $wk (i32.add (local.get $wk) (local.get $wrow)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kl4)))
        (v128.store (i32.add (local.get $hr) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l4)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; h = act(h), in place
  (func (export "activate") (param $h i32) (param $count i32) (param $kind i32)
    (local $end i32)
    (if (i32.eqz (local.get $kind)) (then (return)))
    (local.set $end (i32.add (local.get $h) (i32.shl (local.get $count) (i32.const 2))))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then
      (block $rdone (loop $rnext
        (br_if $rdone (i32.ge_u (local.get $h) (local.get $end)))
        (v128.store (local.get $h) (f32x4.max (v128.load (local.get $h)) (v128.const i32x4 0 0 0 0)))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (br $rnext)))
      (return)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
      (v128.store (local.get $h) (call $act (v128.load (local.get $h)) (local.get $kind)))
      (local.set $h (i32.add (local.get $h) (i32.const 16)))
      (br $next))))

  ;; d = d · act'(h), in place
  (func (export "activate_grad") (param $d i32) (param $h i32) (param $count i32) (param $kind i32)
    (local $end i32)
    (if (i32.eqz (local.get $kind)) (then (return)))
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $count) (i32.const 2))))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then
      ;; relu: keep d where h > 0 (the comparison's all-ones lanes select it)
      (block $rdone (loop $rnext
        (br_if $rdone (i32.ge_u (local.get $d) (local.get $end)))
        (v128.store (local.get $d) (v128.and (v128.load (local.get $d)) (f32x4.gt (v128.load (local.get $h)) (v128.const i32x4 0 0 0 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (br $rnext)))
      (return)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
      (v128.store (local.get $d) (f32x4.mul (v128.load (local.get $d)) (call $actGrad (v128.load (local.get $h)) (local.get $kind))))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (local.set $h (i32.add (local.get $h) (i32.const 16)))
      (br $next))))

  ;; gw[k][op] = Σ_r x[r][k] · d[r][op] for k < in; gb[op] = Σ_r d[r][op]
  (func (export "grad_weights") (param $x i32) (param $xs i32) (param $in i32) (param $d i32) (param $gw i32) (param $gb i32) (param $n i32) (param $op i32)
    (local $k i32) (local $j i32) (local $r i32) (local $xp i32) (local $dp i32) (local $drow i32) (local $xrow i32) (local $xv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $out i32)
    (local.set $drow (i32.shl (local.get $op) (i32.const 2)))
    (local.set $xrow (i32.shl (local.get $xs) (i32.const 2)))
    (local.set $k (i32.const 0))
    (block $ks (loop $kl
      (br_if $ks (i32.ge_u (local.get $k) (local.get $in)))
      (local.set $out (i32.add (local.get $gw) (i32.mul (local.get $k) (local.get $drow))))
      (local.set $j (i32.const 0))
      (block $b16 (loop $l16
        (br_if $b16 (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $op)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $dp (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rd (loop $rl
          (br_if $rd (i32.ge_u (local.get $r) (local.get $n)))
          (local.set $xv (v128.load32_splat (local.get $xp)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load offset=0 (local.get $dp)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load offset=16 (local.get $dp)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load offset=32 (local.get $dp)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load offset=48 (local.get $dp)))))
          (local.set $xp (i32.add (local.get $xp) (local.get $xrow)))
          (local.set $dp (i32.add (local.get $dp) (local.get $drow)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rl)))
        (v128.store offset=0 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l16)))
      (block $b4 (loop $l4
        (br_if $b4 (i32.ge_u (local.get $j) (local.get $op)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $dp (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rd4 (loop $rl4
          (br_if $rd4 (i32.ge_u (local.get $r) (local.get $n)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat (local.get $xp)) (v128.load (local.get $dp)))))
          (local.set $xp (i32.add (local.get $xp) (local.get $xrow)))
          (local.set $dp (i32.add (local.get $dp) (local.get $drow)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rl4)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l4)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $kl)))
    ;; bias: column sums, four units a turn
    (local.set $j (i32.const 0))
    (block $bj (loop $lj
      (br_if $bj (i32.ge_u (local.get $j) (local.get $op)))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $dp (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $rb (loop $rlb
        (br_if $rb (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $dp))))
        (local.set $dp (i32.add (local.get $dp) (local.get $drow)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rlb)))
      (v128.store (i32.add (local.get $gb) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $lj))))

;; dx[n][in] = d[n][op] · w[in][op]ᵀ (in: the rows of w, a multiple of 4, padding rows included: they
  ;; give zeros). Four inputs a turn: four dot products over the units, summed across lanes by one transpose.
  (func (export "grad_inputs") (param $d i32) (param $w i32) (param $dx i32) (param $n i32) (param $in i32) (param $op i32)
    (local $r i32) (local $k i32) (local $j i32) (local $dr i32) (local $wk i32) (local $wrow i32) (local $dv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $wrow (i32.shl (local.get $op) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rs (loop $rl
      (br_if $rs (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $dr (i32.add (local.get $d) (i32.mul (local.get $r) (local.get $wrow))))
      (local.set $k (i32.const 0))
      (block $ks (loop $kl
        (br_if $ks (i32.ge_u (local.get $k) (local.get $in)))
        (local.set $wk (i32.add (local.get $w) (i32.mul (local.get $k) (local.get $wrow))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $js (loop $jl
          (br_if $js (i32.ge_u (local.get $j) (local.get $wrow)))
          (local.set $dv (v128.load (i32.add (local.get $dr) (local.get $j))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $dv) (v128.load (i32.add (local.get $wk) (local.get $j))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $dv) (v128.load (i32.add (i32.add (local.get $wk) (local.get $wrow)) (local.get $j))))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $dv) (v128.load (i32.add (i32.add (local.get $wk) (i32.shl (local.get $wrow) (i32.const 1))) (local.get $j))))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $dv) (v128.load (i32.add (i32.add (local.get $wk) (i32.mul (local.get $wrow) (i32.const 3))) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $jl)))
        ;; [Σa0, Σa1, Σa2, Σa3]: pairwise sums of lanes, then of pairs
        (local.set $a0 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a1))
                                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $a2 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a2) (local.get $a3))
                                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a2) (local.get $a3))))
        (v128.store (local.get $dx)
          (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a0) (local.get $a2))
                     (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a0) (local.get $a2))))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $kl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; dst = a · b, elementwise (dropout masks)
  (func (export "mul_into") (param $dst i32) (param $a i32) (param $b i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (v128.store (local.get $dst) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $next))))

  ;; g += s · w (the L2 penalty's gradient, s = 2 · l2)
  (func (export "add_scaled") (param $g i32) (param $w i32) (param $count i32) (param $s f32)
    (local $end i32) (local $sv v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
      (v128.store (local.get $g) (f32x4.add (v128.load (local.get $g)) (f32x4.mul (v128.load (local.get $w)) (local.get $sv))))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $w (i32.add (local.get $w) (i32.const 16)))
      (br $next))))

  ;; Σ w²
  (func (export "sum_squares") (param $w i32) (param $count i32) (result f32)
    (local $end i32) (local $a v128)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
      (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $w)) (v128.load (local.get $w)))))
      (local.set $w (i32.add (local.get $w) (i32.const 16)))
      (br $next)))
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
             (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; tfjs's adam, op for op: m = m·β1 + g·(1−β1); v = v·β2 + g²·(1−β2);
  ;; p = (m / c1) / (√(v / c2) + ε) · (−lr) + p, with c = 1 − β^t
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $count i32)
    (param $neglr f32) (param $b1 f32) (param $ob1 f32) (param $b2 f32) (param $ob2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32)
    (local $end i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load (local.get $m)) (f32x4.splat (local.get $b1))) (f32x4.mul (local.get $gv) (f32x4.splat (local.get $ob1)))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (local.get $v)) (f32x4.splat (local.get $b2)))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $ob2)))))
      (v128.store (local.get $m) (local.get $mv))
      (v128.store (local.get $v) (local.get $vv))
      (v128.store (local.get $p) (f32x4.add
        (f32x4.mul
          (f32x4.div (f32x4.div (local.get $mv) (f32x4.splat (local.get $c1)))
                     (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $c2)))) (f32x4.splat (local.get $eps))))
          (f32x4.splat (local.get $neglr)))
        (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (br $next))))

  ;; tfjs's sgd: p = (−lr) · g + p
  (func (export "sgd") (param $p i32) (param $g i32) (param $count i32) (param $neglr f32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store (local.get $p) (f32x4.add (f32x4.mul (f32x4.splat (local.get $neglr)) (v128.load (local.get $g))) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (br $next))))

  ;; tfjs's momentum: a = μ · a + g; p = (−lr) · a + p
  (func (export "momentum") (param $p i32) (param $g i32) (param $a i32) (param $count i32) (param $neglr f32) (param $mu f32)
    (local $end i32) (local $av v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $av (f32x4.add (f32x4.mul (f32x4.splat (local.get $mu)) (v128.load (local.get $a))) (v128.load (local.get $g))))
      (v128.store (local.get $a) (local.get $av))
      (v128.store (local.get $p) (f32x4.add (f32x4.mul (f32x4.splat (local.get $neglr)) (local.get $av)) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (br $next))))

  ;; tfjs's rmsprop (not centred): s = s·ρ + g²·(1−ρ); a = a·μ + (g·lr) / √(s + ε); p = p − a
  (func (export "rmsprop") (param $p i32) (param $g i32) (param $s i32) (param $a i32) (param $count i32)
    (param $lr f32) (param $rho f32) (param $orho f32) (param $mu f32) (param $eps f32)
    (local $end i32) (local $gv v128) (local $sv v128) (local $av v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $sv (f32x4.add (f32x4.mul (v128.load (local.get $s)) (f32x4.splat (local.get $rho)))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $orho)))))
      (local.set $av (f32x4.add (f32x4.mul (v128.load (local.get $a)) (f32x4.splat (local.get $mu)))
        (f32x4.div (f32x4.mul (local.get $gv) (f32x4.splat (local.get $lr))) (f32x4.sqrt (f32x4.add (local.get $sv) (f32x4.splat (local.get $eps)))))))
      (v128.store (local.get $s) (local.get $sv))
      (v128.store (local.get $a) (local.get $av))
      (v128.store (local.get $p) (f32x4.sub (v128.load (local.get $p)) (local.get $av)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (br $next)))))
