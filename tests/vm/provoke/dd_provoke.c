// SPDX-License-Identifier: GPL-2.0
/*
 * dd_provoke: makes the debug kernel report a bug on purpose, so that
 * `make check-debug` can show its checks catch each kind of report
 * (tests/check.sh --debug-kernel, step debug-selfcheck).  Never part of the
 * normal suite; built against the debug kernel only.
 *
 *   insmod dd_provoke.ko what=lockdep   AB-BA order of two mutexes (taken
 *                                       one after the other: no deadlock)
 *   insmod dd_provoke.ko what=kasan     a one-byte read past a kmalloc()
 *   insmod dd_provoke.ko what=leak      a kmalloc() whose pointer is dropped
 *
 * lockdep turns itself off after its first report and a KASAN report
 * taints the kernel (which turns lockdep off too): provoke lockdep first.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *what = "";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "lockdep, kasan or leak");

static DEFINE_MUTEX(dd_provoke_a);
static DEFINE_MUTEX(dd_provoke_b);

static void dd_provoke_lockdep(void)
{
	mutex_lock(&dd_provoke_a);
	mutex_lock(&dd_provoke_b);
	mutex_unlock(&dd_provoke_b);
	mutex_unlock(&dd_provoke_a);

	mutex_lock(&dd_provoke_b);
	mutex_lock(&dd_provoke_a);
	mutex_unlock(&dd_provoke_a);
	mutex_unlock(&dd_provoke_b);
}

static void dd_provoke_kasan(void)
{
	size_t len = 16;
	char *p = kmalloc(len, GFP_KERNEL);

	if (!p)
		return;
	/* hidden from the compiler, which would warn about the constant */
	OPTIMIZER_HIDE_VAR(len);
	pr_info("dd_provoke: read past the end: %d\n", READ_ONCE(p[len]));
	kfree(p);
}

/* not inlined into the __init code, so that kmemleak's backtrace names it */
static noinline void dd_provoke_leak(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	pr_info("dd_provoke: leaking a 64-byte object (%s)\n", p ? "allocated" : "none");
}

static int __init dd_provoke_init(void)
{
	if (!strcmp(what, "lockdep"))
		dd_provoke_lockdep();
	else if (!strcmp(what, "kasan"))
		dd_provoke_kasan();
	else if (!strcmp(what, "leak"))
		dd_provoke_leak();
	else
		return -EINVAL;
	return 0;
}

static void __exit dd_provoke_exit(void)
{
}

module_init(dd_provoke_init);
module_exit(dd_provoke_exit);
MODULE_DESCRIPTION("Provokes debug-kernel reports (daedalus-v4l2 harness self-check)");
MODULE_LICENSE("GPL");
