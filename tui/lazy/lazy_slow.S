/* The slow path of every trampoline lazylib.sh writes (x86-64 System V): %r11 holds the
 * function's index. Saves the argument registers (%al counts a variadic call's vector
 * registers), asks dk_lazy_resolve for the address, restores them and jumps there, so the
 * function sees exactly the call its caller made. */
	.text
	.globl dk_lazy_slow
	.hidden dk_lazy_slow
	.type dk_lazy_slow, @function
	.p2align 4
dk_lazy_slow:
	/* Entered with %rsp = 8 mod 16 (the caller's return address); 7 pushes realign it. */
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %r8
	pushq %r9
	pushq %rax
	subq $128, %rsp
	movdqu %xmm0, 0(%rsp)
	movdqu %xmm1, 16(%rsp)
	movdqu %xmm2, 32(%rsp)
	movdqu %xmm3, 48(%rsp)
	movdqu %xmm4, 64(%rsp)
	movdqu %xmm5, 80(%rsp)
	movdqu %xmm6, 96(%rsp)
	movdqu %xmm7, 112(%rsp)
	movl %r11d, %edi
	call dk_lazy_resolve@PLT
	movq %rax, %r11
	movdqu 0(%rsp), %xmm0
	movdqu 16(%rsp), %xmm1
	movdqu 32(%rsp), %xmm2
	movdqu 48(%rsp), %xmm3
	movdqu 64(%rsp), %xmm4
	movdqu 80(%rsp), %xmm5
	movdqu 96(%rsp), %xmm6
	movdqu 112(%rsp), %xmm7
	addq $128, %rsp
	popq %rax
	popq %r9
	popq %r8
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	jmp *%r11
	.size dk_lazy_slow, .-dk_lazy_slow
	.section .note.GNU-stack,"",@progbits
