// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated address space around spf's own protocol code.
 *
 * The kernel's side, modelled: a maple tree in RCU mode (a sorted array
 * of VMAs, replaced whole and freed after a grace period), a 4-level
 * page table with split PTE locks, page-table freeing through
 * mm/mmu_gather.c's tlb_remove_table() (batch freed by RCU callback,
 * IPI-then-free when no batch page can be had), mmap_lock with its
 * acquire tracepoint, and the hooks spf puts on vm_area_free(),
 * tlb_remove_table() and ptlock_free(), which here call spf's
 * replacements straight away.  Hardware walks (sim_access) run under
 * RCU and under the "IPI" lock that tlb_remove_table_sync_one() takes
 * for write, so they are safe by the kernel's rules, not by spf's.
 *
 * Writers: map (or grow a VMA in place), munmap, mprotect, mremap (move)
 * under mmap_lock for write; MADV_DONTNEED under it for read.  Faults
 * call spf_speculate() and fall back to a locked fault.
 *
 * What is checked:
 *  - every commit (set_pte_at from spf_commit): the table is live, its
 *    lock is held by us, it is the table linked at that address now,
 *    the PTE was none;
 *  - every speculative commit's VMA copy equals the VMA that the writer
 *    logged for the count the snapshot was taken at (the serial order:
 *    the fault happened after that write section and before the next);
 *  - before every write section (mmap_lock held, nothing changed yet),
 *    a scan of the whole page table: every present PTE inside a VMA,
 *    with no more access than the VMA gives, its page's rmap (anon_vma,
 *    index) that of the VMA, each page mapped once;
 *  - freed tables, VMAs, locks, pages are poisoned and parked (plain
 *    build) or freed to the sanitizer (ASan/TSan build); a walk that
 *    reaches one fails; a table freed with a present PTE fails;
 *  - at the end: pages committed = pages zapped + pages mapped, and
 *    every table, VMA and lock is accounted for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <asm/tlb.h>
#include <spf/pgtable_rcu.h>
#include <spf/vma_lookup.h>
#include <wrapper/mm_internal.h>
#include <wrapper/mmap_lock.h>
#include <wrapper/pgalloc.h>
#include "../../spf/core/internal.h"
#include "../../spf/faults/internal.h"
#include "sim.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SIM_SANITIZER 1
#else
#define SIM_SANITIZER 0
#endif

void sim_rcu_register(void);
void sim_rcu_unregister(void);

struct sim_config sim_cfg;
struct mm_struct sim_mm;
volatile int sim_stop;

unsigned long sim_clock;
__thread unsigned long sim_floor;
__thread int sim_tid;
__thread struct task_struct sim_task;
unsigned int sim_stale_permille;
unsigned int sim_late_permille;
__thread atomic_long_t *sim_late;
unsigned int sim_delay_permille;
unsigned long sim_vm_events[NR_VM_EVENT_ITEMS];
struct page sim_zero_page = { .sim_magic = SIM_PAGE_LIVE };
struct sim_table sim_poison_table;
DEFINE_PER_CPU(struct spf_stats, spf_stats);

/* this_cpu_ptr() for objects used with preemption off: one per thread. */
void *sim_this_cpu_ptr(void *pcp, unsigned long size)
{
	static __thread struct { void *pcp, *mine; } map[4];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map) && map[i].pcp; i++)
		if (map[i].pcp == pcp)
			return map[i].mine;
	assert(i < ARRAY_SIZE(map));
	map[i].pcp = pcp;
	map[i].mine = calloc(1, size);
	assert(map[i].mine);
	return map[i].mine;
}
struct spf_mm_internal spf_mm;

static double sim_t0;
static __thread u64 sim_rng;

/* What exists, for the end-of-run accounting. */
static long sim_n_tables, sim_n_vmas, sim_n_ptls, sim_n_indexes;
static long sim_pages_committed, sim_pages_zapped;

/* Zones are 16 MiB apart: each has a PUD table of its own. */
static unsigned long sim_zone_base(int z)
{
	return (unsigned long)(z + 1) << PGDIR_SHIFT;
}

static unsigned long sim_zone_end(unsigned long addr)
{
	return (addr & ~((1UL << PGDIR_SHIFT) - 1)) +
	       sim_cfg.zone_pages * PAGE_SIZE;
}

double sim_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned int sim_rand(void)
{
	u64 x = sim_rng;

	if (!x)
		x = sim_cfg.seed * 0x9e3779b97f4a7c15ULL + sim_tid * 7919 + 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	sim_rng = x;
	return x >> 32;
}

void sim_delay(unsigned int permille)
{
	unsigned int r, i;

	if (!permille || sim_rand() % 1000 >= permille)
		return;
	r = sim_rand();
	if (r & 1) {
		sched_yield();
	} else {
		for (i = r % 4096; i; i--)
			cpu_relax();
	}
}

void sim_fail(const char *fmt, ...)
{
	static int once;
	va_list ap;

	if (__atomic_exchange_n(&once, 1, __ATOMIC_SEQ_CST))
		for (;;)
			pause();
	printf("FAIL after %.3f s (thread %d): ", sim_now() - sim_t0, sim_tid);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(3);
}

static void sim_count(long *n, long d)
{
	__atomic_fetch_add(n, d, __ATOMIC_RELAXED);
}

/* ---- freeing: poison, then park (plain build) or free ---- */

#define SIM_QUARANTINE 4096
static __thread void *sim_quarantine[SIM_QUARANTINE];
static __thread unsigned int sim_q_next;

static void sim_free(void *p, size_t size)
{
	memset(p, 0x6b, size);
	if (SIM_SANITIZER) {
		free(p);
		return;
	}
	free(sim_quarantine[sim_q_next]);
	sim_quarantine[sim_q_next] = p;
	sim_q_next = (sim_q_next + 1) % SIM_QUARANTINE;
}

static void *sim_zalloc(size_t align, size_t size)
{
	void *p = aligned_alloc(align, (size + align - 1) / align * align);

	if (!p)
		sim_fail("out of memory");
	memset(p, 0, size);
	return p;
}

/* ---- pages ---- */

unsigned long __get_free_page(gfp_t gfp)
{
	unsigned int fail = (gfp & GFP_NOWAIT) ? sim_cfg.nowait_fail_permille :
			    sim_cfg.kernel_fail_permille;

	if (fail && sim_rand() % 1000 < fail)
		return 0;
	return (unsigned long)sim_zalloc(64, PAGE_SIZE);
}

void free_page(unsigned long addr)
{
	if (addr)
		sim_free((void *)addr, PAGE_SIZE);
}

struct folio *vma_alloc_folio(gfp_t gfp, int order,
			      struct vm_area_struct *vma, unsigned long addr,
			      bool hugepage)
{
	struct folio *folio;

	/*
	 * Without reclaim (spf's, always) it fails as often as any
	 * GFP_NOWAIT allocation (-n), so that giving up after a walk is
	 * tortured too.
	 */
	if (!(gfp & __GFP_DIRECT_RECLAIM) &&
	    sim_rand() % 1000 < sim_cfg.nowait_fail_permille)
		return NULL;
	folio = sim_zalloc(64, sizeof(*folio));
	folio->page.sim_magic = SIM_PAGE_LIVE;
	/* The window between the snapshot and the commit. */
	sim_delay(sim_delay_permille * 4);
	return folio;
}

static void sim_page_free(struct page *page)
{
	if (page->sim_magic != SIM_PAGE_LIVE)
		sim_fail("page %p freed twice (magic %#lx)", (void *)page,
			 page->sim_magic);
	page->sim_magic = SIM_PAGE_DEAD;
	sim_free(page, sizeof(*page));
}

void folio_put(struct folio *folio)
{
	if (folio->page.sim_ptep)
		sim_fail("folio_put of a mapped page");
	sim_page_free(&folio->page);
}

mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size)
{
	mempool_t *pool = sim_zalloc(16, sizeof(*pool));

	pool->size = size;
	return pool;
}

void *mempool_alloc(mempool_t *pool, gfp_t gfp)
{
	return sim_zalloc(16, pool->size);
}

void mempool_free(void *element, mempool_t *pool)
{
	sim_free(element, pool->size);
}

void mempool_destroy(mempool_t *pool)
{
	free(pool);
}

/* ---- what spf resolves and hooks ---- */

/* vma_lookup/decline.c is kernel-only: the harness never declines early. */
void spf_decline_note(struct mm_struct *mm, unsigned long start,
		      unsigned long end, unsigned long seq)
{
}

static void sim_ptlock_free(struct page *page);

int spf_wrapper_ptlock_free_hook(unsigned long *addr)
{
	*addr = (unsigned long)sim_ptlock_free;
	return 0;
}

bool spf_arch_access_ok(struct vm_area_struct *vma, unsigned int flags)
{
	if (flags & FAULT_FLAG_WRITE)
		return vma->vm_flags & VM_WRITE;
	return vma_is_accessible(vma);
}

static void sim_rmap(struct page *page, struct vm_area_struct *vma,
		     unsigned long address)
{
	if (!vma->anon_vma)
		sim_fail("rmap of a page with no anon_vma at %#lx", address);
	page->sim_anon_vma = vma->anon_vma;
	page->sim_index = linear_page_index(vma, address);
}

static void sim_lru_add(struct page *page, struct vm_area_struct *vma)
{
}

static void sim_sync_mm_rss(struct mm_struct *mm)
{
	int i;

	for (i = 0; i < NR_MM_COUNTERS; i++) {
		if (current->rss_stat.count[i])
			atomic_long_add(current->rss_stat.count[i],
					&mm->rss[i]);
		current->rss_stat.count[i] = 0;
	}
	current->rss_stat.events = 0;
}

static void sim_perf_sw_event(u32 event_id, u64 nr, struct pt_regs *regs,
			      u64 addr)
{
}

int spf_mm_internal_init(void)
{
	spf_mm.page_add_new_anon_rmap = sim_rmap;
	spf_mm.lru_cache_add_inactive_or_unevictable = sim_lru_add;
	spf_mm.sync_mm_rss = sim_sync_mm_rss;
	spf_mm.perf_sw_event = sim_perf_sw_event;
	return 0;
}

/* ---- the mmap_lock and its tracepoint ---- */

static sim_mmap_lock_probe_t sim_probe;
static void *sim_probe_data;

int register_trace_mmap_lock_acquire_returned(sim_mmap_lock_probe_t probe,
					      void *data)
{
	sim_probe_data = data;
	__atomic_store_n(&sim_probe, probe, __ATOMIC_RELEASE);
	return 0;
}

int unregister_trace_mmap_lock_acquire_returned(sim_mmap_lock_probe_t probe,
						void *data)
{
	__atomic_store_n(&sim_probe, NULL, __ATOMIC_RELEASE);
	return 0;
}

static void sim_trace_acquire(struct mm_struct *mm, bool write)
{
	sim_mmap_lock_probe_t probe = __atomic_load_n(&sim_probe,
						      __ATOMIC_ACQUIRE);

	if (probe)
		probe(sim_probe_data, mm, "", write, true);
}

static void sim_mmap_read_lock(struct mm_struct *mm)
{
	atomic_long_t *c = &mm->mmap_lock.count;

	for (;;) {
		uspace_atomic_lock(c);
		if (!(c->counter & (SIM_RWSEM_WRITER_LOCKED |
				    SIM_RWSEM_WRITER_WAITING))) {
			uspace_atomic_store(c, c->counter +
					    SIM_RWSEM_READER_BIAS);
			uspace_atomic_unlock(c);
			break;
		}
		uspace_atomic_unlock(c);
		sched_yield();
	}
	sim_barrier_floor();
	sim_trace_acquire(mm, false);
}

static void sim_mmap_read_unlock(struct mm_struct *mm)
{
	atomic_long_add_return(-(long)SIM_RWSEM_READER_BIAS,
			       &mm->mmap_lock.count);
}

static unsigned long sim_wseq;	/* write sections so far = the mm's count */

static void sim_mmap_write_lock(struct mm_struct *mm)
{
	atomic_long_t *c = &mm->mmap_lock.count;

	for (;;) {
		uspace_atomic_lock(c);
		if (!(c->counter & ~SIM_RWSEM_WRITER_WAITING)) {
			/* may reach the others after the probe's stores */
			uspace_atomic_store_late(c, SIM_RWSEM_WRITER_LOCKED);
			uspace_atomic_unlock(c);
			break;
		}
		if (!(c->counter & SIM_RWSEM_WRITER_WAITING))
			uspace_atomic_store(c, c->counter |
					    SIM_RWSEM_WRITER_WAITING);
		uspace_atomic_unlock(c);
		sched_yield();
	}
	sim_barrier_floor();
	sim_wseq++;
	sim_trace_acquire(mm, true);
	if (!spf_mmap_write_locked(mm))
		sim_fail("write-locked mmap_lock not seen as write-locked");
}

static void sim_mmap_write_unlock(struct mm_struct *mm)
{
	atomic_long_t *c = &mm->mmap_lock.count;

	sim_store_drain();	/* a release */
	uspace_atomic_lock(c);
	uspace_atomic_store(c, c->counter & ~SIM_RWSEM_WRITER_LOCKED);
	uspace_atomic_unlock(c);
}

/* ---- page tables ---- */

static pthread_rwlock_t sim_ipi = PTHREAD_RWLOCK_INITIALIZER;

static struct sim_table *sim_table_alloc(int level, unsigned long base)
{
	struct sim_table *t = sim_zalloc(SIM_TABLE_ALIGN, sizeof(*t));

	t->level = level;
	t->base = base;
	t->page.sim_magic = SIM_PAGE_LIVE;
	if (level == 1) {
		spinlock_t *ptl = sim_zalloc(64, sizeof(*ptl));

		spin_lock_init(ptl);
		t->page.ptl = ptl;
		sim_count(&sim_n_ptls, 1);
	}
	t->magic = SIM_TABLE_LIVE;
	sim_count(&sim_n_tables, 1);
	return t;
}

/* The kernel's ptlock_free(), called by spf's deferral after a GP. */
static void sim_ptlock_free(struct page *page)
{
	spinlock_t *ptl = page->ptl;

	if (ptl->magic != SIM_LOCK_LIVE)
		sim_fail("ptlock freed twice");
	if (ptl->locked)
		sim_fail("ptlock freed while held by %d", ptl->owner);
	ptl->magic = SIM_LOCK_DEAD;
	sim_free(ptl, sizeof(*ptl));
	sim_count(&sim_n_ptls, -1);
}

/* The final free of a table: after a grace period, or after the IPI. */
static void __tlb_remove_table(void *table)
{
	struct sim_table *t = table;
	int i, reader;

	if (t->magic != SIM_TABLE_LIVE)
		sim_fail("table %p freed twice", table);
	/*
	 * A reader that began before the unlink may still hold it: this
	 * free came without a grace period (the IPI of
	 * tlb_remove_table_sync_one() waits for hardware walks only).
	 */
	reader = t->unlinked ? sim_rcu_reader_since(t->unlinked) : -1;
	if (reader >= 0)
		sim_fail("level-%d table for %#lx freed while thread %d's read section, begun before its unlink, is open (no grace period)",
			 t->level, t->base, reader);
	for (i = 0; i < PTRS_PER_PTE; i++)
		if (READ_ONCE(t->entry[i]))
			sim_fail("level-%d table for %#lx freed with entry %d = %#lx (a fault committed into an unlinked table)",
				 t->level, t->base, i, t->entry[i]);
	t->magic = SIM_TABLE_DEAD;
	sim_free(t, sizeof(*t));
	/* Parked, not freed: point its entries at the poison table. */
	if (!SIM_SANITIZER) {
		t->magic = SIM_TABLE_DEAD;
		for (i = 0; i < PTRS_PER_PTE; i++)
			t->entry[i] = (unsigned long)&sim_poison_table |
				      _PAGE_PRESENT | _PAGE_TABLE;
	}
	sim_count(&sim_n_tables, -1);
}

/* mm/mmu_gather.c, 6.1, with MMU_GATHER_RCU_TABLE_FREE. */
static void tlb_remove_table_rcu(struct rcu_head *head)
{
	struct mmu_table_batch *batch =
		container_of(head, struct mmu_table_batch, rcu);
	unsigned int i;

	for (i = 0; i < batch->nr; i++)
		__tlb_remove_table(batch->tables[i]);
	free_page((unsigned long)batch);
}

/* The IPI broadcast: waits out every hardware walk in flight. */
static void sim_sync_one(void)
{
	pthread_rwlock_wrlock(&sim_ipi);
	pthread_rwlock_unlock(&sim_ipi);
}

void tlb_remove_table_sync_one(void)
{
	sim_sync_one();
}

static void tlb_table_flush(struct mmu_gather *tlb)
{
	if (tlb->batch) {
		call_rcu(&tlb->batch->rcu, tlb_remove_table_rcu);
		tlb->batch = NULL;
	}
}

void tlb_remove_table(struct mmu_gather *tlb, void *table)
{
	struct mmu_table_batch **batch = &tlb->batch;

	if (!*batch) {
		*batch = (void *)__get_free_page(GFP_NOWAIT | __GFP_NOWARN);
		if (!*batch) {
			/* tlb_remove_table_one(), its sync_one inlined */
			sim_sync_one();
			__tlb_remove_table(table);
			return;
		}
		(*batch)->nr = 0;
	}
	(*batch)->tables[(*batch)->nr++] = table;
	if ((*batch)->nr == MAX_TABLE_BATCH)
		tlb_table_flush(tlb);
}

/* Hand a table to the gather, as free_pgd_range() does, spf hooked. */
static void sim_free_table(struct mmu_gather *tlb, struct sim_table *t)
{
	if (t->level == 1)
		spf_ptl_defer(&t->page);	/* the table's destructor */
	spf_pgtable_defer(tlb, t);
}

static unsigned long sim_level_span(int level)
{
	return PAGE_SIZE << (SIM_PTRS_SHIFT * level);
}

static unsigned long *sim_entry_for(int level, unsigned long addr)
{
	/* The entry pointing to the level-(level) table for addr, or NULL. */
	unsigned long *e = &sim_mm.pgd[pgd_index(addr)].pgd;
	int l;

	for (l = 4; l > level + 1; l--) {
		unsigned long v = READ_ONCE(*e);
		struct sim_table *t;

		if (!v)
			return NULL;
		t = sim_table_at(v, l - 1, "sim walk");
		e = &t->entry[(addr >> (PAGE_SHIFT + SIM_PTRS_SHIFT *
					(l - 2))) & (PTRS_PER_PTE - 1)];
	}
	return e;
}

/* Allocate what is missing down to the PTE; page_table_lock held inside. */
static pte_t *sim_pte_alloc(unsigned long addr)
{
	unsigned long *e = &sim_mm.pgd[pgd_index(addr)].pgd;
	int l;

	for (l = 4; l > 1; l--) {
		unsigned long v = READ_ONCE(*e);
		struct sim_table *t;

		if (!v) {
			spin_lock(&sim_mm.page_table_lock);
			v = READ_ONCE(*e);
			if (!v) {
				unsigned long span = sim_level_span(l - 1);

				t = sim_table_alloc(l - 1, addr & ~(span - 1));
				v = (unsigned long)t | _PAGE_PRESENT |
				    _PAGE_TABLE;
				smp_wmb();	/* pmd_install() */
				__atomic_store_n(e, v, __ATOMIC_RELEASE);
			}
			spin_unlock(&sim_mm.page_table_lock);
		}
		t = sim_table_at(v, l - 1, "pte alloc");
		e = &t->entry[(addr >> (PAGE_SHIFT + SIM_PTRS_SHIFT *
					(l - 2))) & (PTRS_PER_PTE - 1)];
	}
	return (pte_t *)e;
}

/* ---- the maple tree: a sorted array, replaced whole under RCU ---- */

#define SIM_MAX_VMAS	128
#define SIM_INDEX_LIVE	0x1de71117UL

struct sim_vma_index {
	unsigned long magic;
	struct rcu_head rcu;
	int n;
	struct {
		unsigned long start, end;
		struct vm_area_struct *vma;
	} e[SIM_MAX_VMAS];
};

/* The writer's list, sorted; changed only under the write lock. */
static struct vm_area_struct *sim_vmas[SIM_MAX_VMAS];
static int sim_nvmas;
static unsigned long sim_vma_ids;

void *mtree_load(struct maple_tree *mt, unsigned long index)
{
	struct sim_vma_index *idx;
	int lo = 0, hi;

	if (!sim_rcu_depth)
		sim_fail("mtree_load outside rcu_read_lock");
	idx = rcu_dereference(mt->index);
	if (READ_ONCE(idx->magic) != SIM_INDEX_LIVE)
		sim_fail("maple tree read after its free");
	hi = idx->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (index < idx->e[mid].start)
			hi = mid;
		else if (index >= idx->e[mid].end)
			lo = mid + 1;
		else {
			sim_delay(sim_delay_permille);
			return idx->e[mid].vma;
		}
	}
	return NULL;
}

static void sim_index_free(struct rcu_head *head)
{
	struct sim_vma_index *idx =
		container_of(head, struct sim_vma_index, rcu);

	idx->magic = 0;
	sim_free(idx, sizeof(*idx));
	sim_count(&sim_n_indexes, -1);
}

static void sim_publish(void)
{
	struct sim_vma_index *idx = sim_zalloc(64, sizeof(*idx));
	struct sim_vma_index *old = sim_mm.mm_mt.index;
	int i;

	idx->magic = SIM_INDEX_LIVE;
	idx->n = sim_nvmas;
	for (i = 0; i < sim_nvmas; i++) {
		idx->e[i].start = sim_vmas[i]->vm_start;
		idx->e[i].end = sim_vmas[i]->vm_end;
		idx->e[i].vma = sim_vmas[i];
		if (i && sim_vmas[i - 1]->vm_end > sim_vmas[i]->vm_start)
			sim_fail("sim: overlapping VMAs");
	}
	sim_count(&sim_n_indexes, 1);
	rcu_assign_pointer(sim_mm.mm_mt.index, idx);
	if (old)
		call_rcu(&old->rcu, sim_index_free);
	sim_delay(sim_cfg.writer_delay_permille);
}

static pgprot_t sim_prot(unsigned long flags)
{
	return __pgprot(_PAGE_PRESENT |
			((flags & (VM_READ | VM_WRITE)) ? _PAGE_READ : 0));
}

static struct vm_area_struct *sim_vma_new(unsigned long start,
					  unsigned long end,
					  unsigned long flags,
					  unsigned long pgoff,
					  struct anon_vma *anon_vma)
{
	struct vm_area_struct *v = sim_zalloc(64, sizeof(*v));

	v->vm_start = start;
	v->vm_end = end;
	v->vm_mm = &sim_mm;
	v->vm_flags = flags;
	v->vm_page_prot = sim_prot(flags);
	v->vm_pgoff = pgoff;
	v->anon_vma = anon_vma;
	v->sim_magic = SIM_VMA_LIVE;
	v->sim_id = ++sim_vma_ids;
	sim_count(&sim_n_vmas, 1);
	return v;
}

/* The kernel's vm_area_free(), called by spf's deferral after a GP. */
static void sim_vm_area_free(struct vm_area_struct *vma)
{
	if (vma->sim_magic != SIM_VMA_LIVE)
		sim_fail("VMA freed twice");
	vma->sim_magic = SIM_VMA_DEAD;
	sim_free(vma, sizeof(*vma));
	sim_count(&sim_n_vmas, -1);
}

static struct anon_vma *sim_new_anon_vma(void)
{
	static unsigned long n;

	/* Never dereferenced: an identity for the rmap check. */
	return (struct anon_vma *)(0x100000000000UL + (++n << 6));
}

static void sim_vma_insert(int at, struct vm_area_struct *v)
{
	if (sim_nvmas == SIM_MAX_VMAS)
		sim_fail("sim: too many VMAs");
	memmove(&sim_vmas[at + 1], &sim_vmas[at],
		(sim_nvmas - at) * sizeof(sim_vmas[0]));
	sim_vmas[at] = v;
	sim_nvmas++;
}

static void sim_vma_remove(int at)
{
	memmove(&sim_vmas[at], &sim_vmas[at + 1],
		(sim_nvmas - at - 1) * sizeof(sim_vmas[0]));
	sim_nvmas--;
}

static struct vm_area_struct *sim_find_vma_locked(unsigned long addr)
{
	int i;

	for (i = 0; i < sim_nvmas; i++)
		if (addr >= sim_vmas[i]->vm_start && addr < sim_vmas[i]->vm_end)
			return sim_vmas[i];
	return NULL;
}

static bool sim_range_has_vma(unsigned long start, unsigned long end)
{
	int i;

	for (i = 0; i < sim_nvmas; i++)
		if (sim_vmas[i]->vm_start < end && sim_vmas[i]->vm_end > start)
			return true;
	return false;
}

/* Split sim_vmas[i] at addr; in place, as __split_vma() does. */
static void sim_split(int i, unsigned long addr)
{
	struct vm_area_struct *v = sim_vmas[i], *n;
	unsigned long delta = (addr - v->vm_start) >> PAGE_SHIFT;

	n = sim_vma_new(v->vm_start, v->vm_end, v->vm_flags, v->vm_pgoff,
			v->anon_vma);
	if (sim_rand() & 1) {
		/* new below: the old VMA keeps the upper part */
		n->vm_end = addr;
		WRITE_ONCE(v->vm_pgoff, v->vm_pgoff + delta);
		sim_delay(sim_cfg.writer_delay_permille);
		WRITE_ONCE(v->vm_start, addr);
		sim_vma_insert(i, n);
	} else {
		n->vm_start = addr;
		n->vm_pgoff = v->vm_pgoff + delta;
		WRITE_ONCE(v->vm_end, addr);
		sim_vma_insert(i + 1, n);
	}
	sim_publish();
}

/* Make start and end VMA boundaries. */
static void sim_split_at(unsigned long start, unsigned long end)
{
	int i;

	for (i = 0; i < sim_nvmas; i++) {
		struct vm_area_struct *v = sim_vmas[i];

		if (v->vm_start < start && v->vm_end > start) {
			sim_split(i, start);
			i = -1;
		} else if (v->vm_start < end && v->vm_end > end) {
			sim_split(i, end);
			i = -1;
		}
	}
}

/* ---- PTE-level work under the PTE lock ---- */

static void sim_zap(unsigned long start, unsigned long end)
{
	unsigned long addr = start;

	while (addr < end) {
		unsigned long next = (addr + sim_level_span(1)) &
				     ~(sim_level_span(1) - 1);
		unsigned long *pmde = sim_entry_for(1, addr);
		struct sim_table *t;

		if (next > end)
			next = end;
		if (pmde && READ_ONCE(*pmde)) {
			t = sim_table_at(READ_ONCE(*pmde), 1, "zap");
			spin_lock(t->page.ptl);
			for (; addr < next; addr += PAGE_SIZE) {
				pte_t *ptep = (pte_t *)&t->entry[pte_index(addr)];
				pte_t pte = READ_ONCE(*ptep);
				struct page *page;

				if (pte_none(pte))
					continue;
				WRITE_ONCE(*ptep, __pte(0));
				if (pte_special(pte))
					continue;
				page = pte_page(pte);
				if (page->sim_ptep != ptep)
					sim_fail("zap: page at %#lx mapped at %p, not %p",
						 addr, (void *)page->sim_ptep,
						 (void *)ptep);
				page->sim_ptep = NULL;
				sim_page_free(page);
				sim_count(&sim_pages_zapped, 1);
			}
			spin_unlock(t->page.ptl);
		}
		addr = next;
	}
}

static void sim_change_prot(unsigned long start, unsigned long end,
			    unsigned long flags)
{
	unsigned long addr;

	for (addr = start; addr < end; addr += PAGE_SIZE) {
		unsigned long *pmde = sim_entry_for(1, addr);
		struct sim_table *t;
		pte_t *ptep, pte;
		unsigned long v;

		if (!pmde || !READ_ONCE(*pmde)) {
			addr = (addr | (sim_level_span(1) - 1)) + 1 - PAGE_SIZE;
			continue;
		}
		t = sim_table_at(READ_ONCE(*pmde), 1, "mprotect");
		ptep = (pte_t *)&t->entry[pte_index(addr)];
		spin_lock(t->page.ptl);
		pte = READ_ONCE(*ptep);
		if (!pte_none(pte)) {
			v = pte_val(pte) & ~(_PAGE_READ | _PAGE_RW);
			v |= pgprot_val(sim_prot(flags)) & _PAGE_READ;
			if ((flags & VM_WRITE) && pte_write(pte))
				v |= _PAGE_RW;
			WRITE_ONCE(*ptep, __pte(v));
		}
		spin_unlock(t->page.ptl);
	}
}

/* free_pgtables(): every table in [start, end) no VMA needs any more. */
static void sim_free_tables_level(struct mmu_gather *tlb, unsigned long *e,
				  int level, unsigned long start,
				  unsigned long end)
{
	unsigned long v = READ_ONCE(*e);
	struct sim_table *t;
	unsigned long span, base;
	int i;

	if (!v)
		return;
	t = sim_table_at(v, level, "free_pgtables");
	span = sim_level_span(level);
	base = t->base;
	if (level > 1)
		for (i = 0; i < PTRS_PER_PTE; i++) {
			unsigned long cs = base + i * sim_level_span(level - 1);
			unsigned long ce = cs + sim_level_span(level - 1);

			if (ce <= start || cs >= end)
				continue;
			sim_free_tables_level(tlb, &t->entry[i], level - 1,
					      start, end);
		}
	if (sim_range_has_vma(base, base + span))
		return;
	for (i = 0; i < PTRS_PER_PTE; i++)
		if (READ_ONCE(t->entry[i]))
			return;		/* a child outside [start, end) */
	WRITE_ONCE(*e, 0);
	t->unlinked = sim_rcu_stamp();	/* after the clear: see rcu.c */
	sim_delay(sim_cfg.writer_delay_permille);
	sim_free_table(tlb, t);
}

static void sim_free_tables(unsigned long start, unsigned long end)
{
	struct mmu_gather tlb = { .mm = &sim_mm };
	unsigned long addr;

	for (addr = start & ~(sim_level_span(3) - 1); addr < end;
	     addr += sim_level_span(3))
		sim_free_tables_level(&tlb, &sim_mm.pgd[pgd_index(addr)].pgd,
				      3, start, end);
	tlb_table_flush(&tlb);
}

/* ---- the writer's serial log: the VMAs after each write section ---- */

#define SIM_LOG	4096

struct sim_layout {
	unsigned long seq;
	int n;
	struct {
		unsigned long start, end, flags, prot, pgoff;
		struct anon_vma *anon_vma;
	} v[SIM_MAX_VMAS];
};

static struct sim_layout *sim_log;
static unsigned long sim_log_published;
static pthread_rwlock_t sim_log_lock = PTHREAD_RWLOCK_INITIALIZER;

static void sim_log_record(void)
{
	struct sim_layout *l = &sim_log[sim_wseq % SIM_LOG];
	int i;

	pthread_rwlock_wrlock(&sim_log_lock);
	l->seq = sim_wseq;
	l->n = sim_nvmas;
	for (i = 0; i < sim_nvmas; i++) {
		struct vm_area_struct *v = sim_vmas[i];

		l->v[i].start = v->vm_start;
		l->v[i].end = v->vm_end;
		l->v[i].flags = v->vm_flags;
		l->v[i].prot = pgprot_val(v->vm_page_prot);
		l->v[i].pgoff = v->vm_pgoff;
		l->v[i].anon_vma = v->anon_vma;
	}
	__atomic_store_n(&sim_log_published, sim_wseq, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&sim_log_lock);
}

struct sim_pending {
	unsigned long seq, addr, start, end, flags, prot, pgoff;
	struct anon_vma *anon_vma;
};

#define SIM_PENDING 256
static __thread struct sim_pending sim_pend[SIM_PENDING];
static __thread int sim_npend;
static unsigned long sim_n_checked, sim_n_unchecked;

/* Is the copy the VMA the writer logged for its count?  false: not yet. */
static bool sim_check_one(const struct sim_pending *p)
{
	struct sim_layout *l;
	int i;

	if (__atomic_load_n(&sim_log_published, __ATOMIC_ACQUIRE) < p->seq)
		return false;
	pthread_rwlock_rdlock(&sim_log_lock);
	l = &sim_log[p->seq % SIM_LOG];
	if (l->seq != p->seq) {
		pthread_rwlock_unlock(&sim_log_lock);
		sim_count((long *)&sim_n_unchecked, 1);
		return true;
	}
	for (i = 0; i < l->n; i++)
		if (p->addr >= l->v[i].start && p->addr < l->v[i].end)
			break;
	if (i == l->n)
		sim_fail("a fault at %#lx committed with a snapshot at count %lu, when no VMA held that address (stale or torn lookup)",
			 p->addr, p->seq);
	if (l->v[i].start != p->start || l->v[i].end != p->end ||
	    l->v[i].flags != p->flags || l->v[i].prot != p->prot ||
	    l->v[i].pgoff != p->pgoff ||
	    (l->v[i].anon_vma && l->v[i].anon_vma != p->anon_vma))
		sim_fail("a fault at %#lx committed with a copy [%#lx-%#lx flags %#lx pgoff %#lx anon %p] at count %lu; the VMA then was [%#lx-%#lx flags %#lx pgoff %#lx anon %p]",
			 p->addr, p->start, p->end, p->flags, p->pgoff,
			 (void *)p->anon_vma, p->seq, l->v[i].start,
			 l->v[i].end, l->v[i].flags, l->v[i].pgoff,
			 (void *)l->v[i].anon_vma);
	pthread_rwlock_unlock(&sim_log_lock);
	sim_count((long *)&sim_n_checked, 1);
	return true;
}

void sim_check_pending(struct sim_counts *c)
{
	int i, j = 0;

	for (i = 0; i < sim_npend; i++)
		if (!sim_check_one(&sim_pend[i]))
			sim_pend[j++] = sim_pend[i];
	sim_npend = j;
}

/*
 * The write-protect fault (spf/faults/wp_fault.c) is not simulated: this
 * address space has no fork, no shared pages and no rmap.  A write to a
 * present read-only PTE goes to the locked fault, as before the module
 * had the path; the in-guest tests cover it (spf_abort_test's wp_*
 * cases, spf_race_test's fork and exit cases).
 */
enum spf_abort spf_wp_try(struct spf_snapshot *snap,
			  struct spf_pte_walk *walk, unsigned long addr,
			  struct spf_wp *wp)
{
	return SPF_ABORT_PTE;
}

void spf_wp_finish(struct spf_wp *wp)
{
}

void spf_wp_fault_init(struct dentry *debugfs_dir)
{
}

/*
 * Nor is the file read fault (spf/faults/file_fault.c): the sim has no files.
 * Its VMAs are anonymous, so these are never reached.
 */
enum spf_abort spf_file_suitable(struct vm_area_struct *vma,
				 unsigned int flags)
{
	return SPF_ABORT_NOT_ANON;
}

enum spf_abort spf_file_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    unsigned int *mapped)
{
	*mapped = 0;
	return SPF_ABORT_NOT_ANON;
}

void spf_file_fault_init(struct dentry *debugfs_dir)
{
}

/* Nor is the file write fault (spf/faults/file_write.c), for the same reason. */
int spf_file_write_init(void)
{
	return 0;
}

enum spf_abort spf_file_write_try(struct spf_snapshot *snap,
				  struct spf_pte_walk *walk, unsigned long addr,
				  struct folio *copy, struct spf_file_write *fw)
{
	fw->mapped = false;
	return SPF_ABORT_NOT_ANON;
}

bool spf_file_write_pin(struct spf_snapshot *snap, struct spf_file_write *fw)
{
	return false;
}

void spf_file_write_finish(struct spf_file_write *fw)
{
}

/*
 * Nor are PTE tables installed by faults (pgtable_rcu/pte_table.c): a
 * missing table stays an abort, as before the module could add one.
 */
bool spf_pte_tables_enabled(void)
{
	return false;
}

struct page *spf_pte_table_alloc(struct mm_struct *mm)
{
	return NULL;
}

void spf_pte_table_free(struct page *table)
{
}

spinlock_t *spf_pmd_lock(struct mm_struct *mm, pmd_t *pmdp)
{
	abort();	/* never reached: no table is ever added */
}

void spf_pmd_unlock(struct mm_struct *mm, spinlock_t *ptl)
{
}

void spf_pte_table_publish(struct mm_struct *mm, pmd_t *pmdp,
			   struct page *table)
{
}

void spf_pte_table_init(struct dentry *debugfs_dir)
{
}

/* The module's test-aid pauses; no knob is set here, as in a normal load. */
void spf_inject_delay(const u32 *knob, u32 max)
{
	u32 us = READ_ONCE(*knob);

	if (us)
		usleep(us < max ? us : max);
}

/* ---- the commit side, called from spf_commit() ---- */

void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep,
		pte_t pte)
{
	struct sim_table *t = sim_table_of_entry(ptep);
	unsigned long *pmde;

	if (READ_ONCE(t->magic) != SIM_TABLE_LIVE)
		sim_fail("commit at %#lx into a freed table", addr);
	if (!spin_is_held_by_me(t->page.ptl))
		sim_fail("commit at %#lx without its PTE lock", addr);
	if (t->base + pte_index(addr) * PAGE_SIZE != (addr & PAGE_MASK) ||
	    (pte_t *)&t->entry[pte_index(addr)] != ptep)
		sim_fail("commit at %#lx into the wrong slot", addr);
	pmde = sim_entry_for(1, addr);
	if (!pmde || (READ_ONCE(*pmde) & ~SIM_FLAG_MASK) != (uintptr_t)t)
		sim_fail("commit at %#lx into a table no longer linked there (a munmap or mremap freed it)",
			 addr);
	if (!pte_none(READ_ONCE(*ptep)))
		sim_fail("commit at %#lx over a present PTE %#lx (another fault's page is lost)",
			 addr, pte_val(READ_ONCE(*ptep)));
	if (!pte_special(pte)) {
		struct page *page = pte_page(pte);

		if (page->sim_magic != SIM_PAGE_LIVE)
			sim_fail("commit of a freed page");
		page->sim_ptep = ptep;
		sim_count(&sim_pages_committed, 1);
	} else if (pte_write(pte)) {
		sim_fail("zero page mapped writable at %#lx", addr);
	}
	__atomic_store_n(&ptep->pte, pte_val(pte), __ATOMIC_RELEASE);
}

void update_mmu_cache(struct vm_area_struct *vma, unsigned long addr,
		      pte_t *ptep)
{
	struct spf_snapshot *snap = container_of(vma, struct spf_snapshot, vma);
	struct sim_pending p = {
		.seq = snap->seq, .addr = addr, .start = vma->vm_start,
		.end = vma->vm_end, .flags = vma->vm_flags,
		.prot = pgprot_val(vma->vm_page_prot), .pgoff = vma->vm_pgoff,
		.anon_vma = vma->anon_vma,
	};

	if (!sim_cfg.checks)
		return;
	if (sim_check_one(&p))
		return;
	if (sim_npend == SIM_PENDING)
		sim_fail("sim: too many commits waiting for the writer's log");
	sim_pend[sim_npend++] = p;
}

/* ---- the scan, at the start of every write section ---- */

static void sim_scan(long *mapped)
{
	unsigned long base, addr;
	int z;

	*mapped = 0;
	for (z = 0; z < sim_cfg.zones; z++) {
		base = sim_zone_base(z);
		for (addr = base; addr < base + sim_cfg.zone_pages * PAGE_SIZE;
		     addr += sim_level_span(1)) {
			unsigned long *pmde = sim_entry_for(1, addr);
			struct sim_table *t;
			int i;

			if (!pmde || !READ_ONCE(*pmde))
				continue;
			t = sim_table_at(READ_ONCE(*pmde), 1, "scan");
			if (t->base != addr)
				sim_fail("scan: table for %#lx maps %#lx",
					 addr, t->base);
			spin_lock(t->page.ptl);
			for (i = 0; i < PTRS_PER_PTE; i++) {
				unsigned long a = addr + i * PAGE_SIZE;
				pte_t pte = READ_ONCE(*(pte_t *)&t->entry[i]);
				struct vm_area_struct *v;
				struct page *page;

				if (pte_none(pte))
					continue;
				v = sim_find_vma_locked(a);
				if (!v)
					sim_fail("PTE %#lx at %#lx, where no VMA is (installed into an unmapped range)",
						 pte_val(pte), a);
				if ((pte_write(pte) && !(v->vm_flags & VM_WRITE)) ||
				    ((pte_val(pte) & _PAGE_READ) &&
				     !(v->vm_flags & (VM_READ | VM_WRITE))))
					sim_fail("PTE %#lx at %#lx gives more than its VMA's flags %#lx (stale protection)",
						 pte_val(pte), a, v->vm_flags);
				if (pte_special(pte)) {
					if (pte_page(pte) != &sim_zero_page)
						sim_fail("special PTE not the zero page");
					continue;
				}
				page = pte_page(pte);
				if (page->sim_magic != SIM_PAGE_LIVE)
					sim_fail("PTE at %#lx maps a freed page", a);
				if (page->sim_ptep != (pte_t *)&t->entry[i])
					sim_fail("page at %#lx mapped twice", a);
				if (page->sim_anon_vma != v->anon_vma ||
				    page->sim_index != linear_page_index(v, a))
					sim_fail("page at %#lx has rmap (%p, %#lx); its VMA says (%p, %#lx)",
						 a, (void *)page->sim_anon_vma,
						 page->sim_index,
						 (void *)v->anon_vma,
						 linear_page_index(v, a));
				(*mapped)++;
			}
			spin_unlock(t->page.ptl);
		}
	}
}

/* ---- faults ---- */

/* The hardware's walk: does the access need a fault? */
bool sim_access(unsigned long addr, bool write, struct sim_counts *c)
{
	unsigned long *e;
	unsigned long v;
	bool ok = false;

	pthread_rwlock_rdlock(&sim_ipi);
	rcu_read_lock();
	e = sim_entry_for(1, addr);
	if (e && (v = READ_ONCE(*e))) {
		struct sim_table *t = (struct sim_table *)(v & ~SIM_FLAG_MASK);
		pte_t pte = __pte(READ_ONCE(t->entry[pte_index(addr)]));

		ok = pte_present(pte) &&
		     (write ? pte_write(pte) : !!(pte_val(pte) & _PAGE_READ));
	}
	rcu_read_unlock();
	pthread_rwlock_unlock(&sim_ipi);
	if (ok) {
		c->hits++;
		return false;
	}
	sim_fault(addr, write, c);
	return true;
}

static void sim_locked_fault(unsigned long addr, bool write,
			     struct sim_counts *c)
{
	struct vm_area_struct *v;
	pte_t *ptep, pte;
	spinlock_t *ptl;

	sim_mmap_read_lock(&sim_mm);
	v = sim_find_vma_locked(addr);
	if (!v || !spf_arch_access_ok(v, write ? FAULT_FLAG_WRITE : 0)) {
		c->segv++;
		goto out;
	}
	if (write && !READ_ONCE(v->anon_vma)) {
		/* __anon_vma_prepare(): NULL to its final value, once */
		spin_lock(&sim_mm.page_table_lock);
		if (!v->anon_vma)
			WRITE_ONCE(v->anon_vma, sim_new_anon_vma());
		spin_unlock(&sim_mm.page_table_lock);
	}
	ptep = sim_pte_alloc(addr);
	ptl = sim_table_of_entry(ptep)->page.ptl;
	spin_lock(ptl);
	pte = READ_ONCE(*ptep);
	if (pte_none(pte) || (write && pte_special(pte))) {
		pte_t entry;

		if (write) {
			struct page *page =
				&vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, v,
						 addr, false)->page;

			sim_rmap(page, v, addr);
			entry = pte_mkwrite(pte_mkdirty(mk_pte(page,
							       v->vm_page_prot)));
			page->sim_ptep = ptep;
			sim_count(&sim_pages_committed, 1);
			if (!pte_none(pte))
				c->cow++;
		} else {
			entry = pte_mkspecial(pfn_pte(my_zero_pfn(addr),
						      v->vm_page_prot));
		}
		__atomic_store_n(&ptep->pte, pte_val(entry), __ATOMIC_RELEASE);
	} else if (write && !pte_write(pte)) {
		WRITE_ONCE(*ptep, pte_mkdirty(pte_mkwrite(pte)));
	}
	spin_unlock(ptl);
	c->locked++;
out:
	sim_mmap_read_unlock(&sim_mm);
}

void sim_fault(unsigned long addr, bool write, struct sim_counts *c)
{
	struct pt_regs regs = { 0 };
	unsigned int flags = FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0);

	if (sim_cfg.speculate && spf_speculate(&sim_mm, addr, flags, &regs)) {
		c->spec++;
		return;
	}
	sim_locked_fault(addr, write, c);
}

unsigned long sim_random_addr(void)
{
	int z = sim_rand() % sim_cfg.zones;
	unsigned long base = sim_zone_base(z);

	return base + (sim_rand() % sim_cfg.zone_pages) * PAGE_SIZE +
	       sim_rand() % PAGE_SIZE;
}

/* Mostly inside some VMA, as a program's accesses are. */
unsigned long sim_fault_addr(void)
{
	struct sim_vma_index *idx;
	unsigned long addr = 0;

	if (sim_rand() % 8 == 0)
		return sim_random_addr();
	rcu_read_lock();
	idx = rcu_dereference(sim_mm.mm_mt.index);
	if (idx->n) {
		int i = sim_rand() % idx->n;

		addr = idx->e[i].start +
		       sim_rand() % (idx->e[i].end - idx->e[i].start);
	}
	rcu_read_unlock();
	return addr ? addr : sim_random_addr();
}

/* ---- writer operations ---- */

static void sim_range(unsigned long *start, unsigned long *end, int maxp)
{
	unsigned long a = sim_random_addr() & PAGE_MASK;
	unsigned long zone_end = sim_zone_end(a);
	unsigned long len = (1 + sim_rand() % maxp) * PAGE_SIZE;

	*start = a;
	*end = a + len > zone_end ? zone_end : a + len;
}

int sim_map(unsigned long start, unsigned long end, unsigned long flags)
{
	int i;

	if (sim_range_has_vma(start, end))
		return -1;
	for (i = 0; i < sim_nvmas && sim_vmas[i]->vm_start < start; i++)
		;
	if (i && sim_vmas[i - 1]->vm_end == start &&
	    sim_vmas[i - 1]->vm_flags == flags &&
	    sim_vmas[i - 1]->vm_pgoff +
	    ((start - sim_vmas[i - 1]->vm_start) >> PAGE_SHIFT) ==
	    start >> PAGE_SHIFT && (sim_rand() & 1)) {
		/* vma_merge(): the previous VMA grows in place */
		WRITE_ONCE(sim_vmas[i - 1]->vm_end, end);
	} else {
		sim_vma_insert(i, sim_vma_new(start, end, flags,
					      start >> PAGE_SHIFT,
					      sim_rand() % 4 ? NULL :
					      sim_new_anon_vma()));
	}
	sim_publish();
	return 0;
}

static void sim_detach(unsigned long start, unsigned long end,
		       struct vm_area_struct **gone, int *ngone)
{
	int i;

	sim_split_at(start, end);
	for (i = 0; i < sim_nvmas; i++)
		if (sim_vmas[i]->vm_start >= start &&
		    sim_vmas[i]->vm_end <= end) {
			gone[(*ngone)++] = sim_vmas[i];
			sim_vma_remove(i--);
		}
	sim_publish();
}

void sim_munmap(unsigned long start, unsigned long end)
{
	struct vm_area_struct *gone[SIM_MAX_VMAS];
	int ngone = 0, i;

	sim_detach(start, end, gone, &ngone);
	sim_zap(start, end);
	sim_free_tables(start, end);
	for (i = 0; i < ngone; i++)
		spf_vma_defer(gone[i]);
}

static void sim_mprotect(unsigned long start, unsigned long end,
			 unsigned long flags)
{
	int i;

	sim_split_at(start, end);
	for (i = 0; i < sim_nvmas; i++) {
		struct vm_area_struct *v = sim_vmas[i];

		if (v->vm_start < start || v->vm_end > end)
			continue;
		WRITE_ONCE(v->vm_flags, flags);
		sim_delay(sim_cfg.writer_delay_permille);
		WRITE_ONCE(v->vm_page_prot, sim_prot(flags));
	}
	sim_publish();
	sim_change_prot(start, end, flags);
}

static void sim_mremap(void)
{
	struct vm_area_struct *v, *n, *gone[SIM_MAX_VMAS];
	unsigned long start, end, len, addr;
	int i, ngone = 0, tries;

	if (!sim_nvmas)
		return;
	v = sim_vmas[sim_rand() % sim_nvmas];
	len = v->vm_end - v->vm_start;
	for (tries = 0; tries < 8; tries++) {
		sim_range(&start, &end, 1);
		end = start + len;
		if (end <= sim_zone_end(start) &&
		    !sim_range_has_vma(start, end))
			break;
	}
	if (tries == 8)
		return;
	/* copy_vma() */
	n = sim_vma_new(start, end, v->vm_flags, v->vm_pgoff, v->anon_vma);
	for (i = 0; i < sim_nvmas && sim_vmas[i]->vm_start < start; i++)
		;
	sim_vma_insert(i, n);
	sim_publish();
	/* move_page_tables(): old PTE lock, then the new one */
	for (addr = v->vm_start; addr < v->vm_end; addr += PAGE_SIZE) {
		unsigned long *pmde = sim_entry_for(1, addr);
		struct sim_table *ot, *nt;
		pte_t *optep, *nptep, pte;

		if (!pmde || !READ_ONCE(*pmde))
			continue;
		ot = sim_table_at(READ_ONCE(*pmde), 1, "mremap");
		optep = (pte_t *)&ot->entry[pte_index(addr)];
		if (pte_none(READ_ONCE(*optep)))
			continue;
		nptep = sim_pte_alloc(addr - v->vm_start + start);
		nt = sim_table_of_entry(nptep);
		spin_lock(ot->page.ptl);
		if (nt != ot)
			spin_lock(nt->page.ptl);
		pte = READ_ONCE(*optep);
		if (!pte_none(pte)) {
			WRITE_ONCE(*optep, __pte(0));
			if (!pte_special(pte))
				pte_page(pte)->sim_ptep = nptep;
			WRITE_ONCE(*nptep, pte);
		}
		if (nt != ot)
			spin_unlock(nt->page.ptl);
		spin_unlock(ot->page.ptl);
	}
	/* do_munmap() of the old range */
	sim_detach(v->vm_start, v->vm_end, gone, &ngone);
	sim_zap(gone[0]->vm_start, gone[0]->vm_end);
	sim_free_tables(gone[0]->vm_start, gone[0]->vm_end);
	for (i = 0; i < ngone; i++)
		spf_vma_defer(gone[i]);
}

void sim_locked_map(unsigned long start, unsigned long end,
		    unsigned long flags)
{
	sim_mmap_write_lock(&sim_mm);
	if (sim_map(start, end, flags))
		sim_fail("sim: map over a mapping");
	sim_mmap_write_unlock(&sim_mm);
}

void sim_locked_munmap(unsigned long start, unsigned long end)
{
	sim_mmap_write_lock(&sim_mm);
	sim_munmap(start, end);
	sim_mmap_write_unlock(&sim_mm);
}

void sim_dontneed(unsigned long start, unsigned long end)
{
	sim_mmap_read_lock(&sim_mm);
	sim_zap(start, end);
	sim_mmap_read_unlock(&sim_mm);
}

static const unsigned long sim_flag_choices[] = {
	VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE,
	VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE,
	VM_READ | VM_MAYREAD | VM_MAYWRITE,
	VM_NONE | VM_MAYREAD | VM_MAYWRITE,
};

void sim_writer_step(struct sim_counts *c)
{
	unsigned int op = sim_rand() % 100;
	unsigned long start, end;
	long mapped;

	if (op < 25) {
		sim_range(&start, &end, 16);
		sim_dontneed(start, end);
		c->writer_ops[5]++;
		return;
	}
	sim_mmap_write_lock(&sim_mm);
	if (sim_cfg.checks)
		sim_scan(&mapped);
	sim_delay(sim_cfg.writer_delay_permille);
	if (sim_nvmas > SIM_MAX_VMAS / 2 && op < 72)
		op = 55;	/* too many: unmap instead */
	if (op < 55) {
		sim_range(&start, &end, 16);
		sim_map(start, end, sim_flag_choices[sim_rand() % 4]);
		c->writer_ops[0]++;
	} else if (op < 72) {
		sim_range(&start, &end, 12);
		sim_munmap(start, end);
		c->writer_ops[1]++;
	} else if (op < 90) {
		sim_range(&start, &end, 12);
		sim_mprotect(start, end, sim_flag_choices[sim_rand() % 4]);
		c->writer_ops[2]++;
	} else {
		sim_mremap();
		c->writer_ops[3]++;
	}
	if (sim_cfg.checks)
		sim_log_record();
	sim_mmap_write_unlock(&sim_mm);
}

/* ---- setup and the end ---- */

void sim_thread_start(int tid)
{
	sim_tid = tid;
	sim_rng = 0;
	sim_task.mm = &sim_mm;
	sim_rcu_register();
}

void sim_thread_end(void)
{
	struct sim_counts dummy;
	int i;

	while (sim_npend) {
		sim_check_pending(&dummy);
		if (sim_npend)
			sched_yield();
	}
	sim_rcu_unregister();
	for (i = 0; i < SIM_QUARANTINE; i++) {
		free(sim_quarantine[i]);
		sim_quarantine[i] = NULL;
	}
}

void sim_init(void)
{
	struct sim_table *pgd;
	unsigned long ptlock_free_addr = 0;
	int i;

	sim_t0 = sim_now();
	sim_stale_permille = sim_cfg.stale_permille;
	sim_late_permille = sim_cfg.late_permille;
	sim_delay_permille = sim_cfg.delay_permille;
	sim_poison_table.magic = SIM_TABLE_POISON;
	for (i = 0; i < PTRS_PER_PTE; i++)
		sim_poison_table.entry[i] = (unsigned long)&sim_poison_table |
					    _PAGE_PRESENT | _PAGE_TABLE;
	sim_log = calloc(SIM_LOG, sizeof(*sim_log));
	if (!sim_log)
		sim_fail("out of memory");
	spin_lock_init(&sim_mm.page_table_lock);
	pgd = sim_table_alloc(4, 0);
	sim_mm.pgd = (pgd_t *)pgd->entry;
	sim_task.mm = &sim_mm;

	/* spf's load order: freeing hooks, then the count, then faults */
	spf_vma_free_init(sim_vm_area_free);
	spf_pgtable_free_init(tlb_remove_table, tlb_remove_table_sync_one);
	if (spf_pgtable_free_prepare() || spf_ptl_defer_find(&ptlock_free_addr))
		sim_fail("sim: spf's page-table freeing did not set up");
	if (spf_mm_seq_init(NULL) || spf_speculate_init(NULL))
		sim_fail("sim: spf did not set up");
	sim_publish();
	sim_log_record();
}

void sim_finish(void)
{
	long mapped = 0;

	sim_mmap_write_lock(&sim_mm);
	if (sim_cfg.checks)
		sim_scan(&mapped);
	sim_mmap_write_unlock(&sim_mm);
	/* Everything queued is freed, and the counts are exact. */
	spf_vma_free_drain();
	spf_pgtable_free_drain();
	rcu_barrier();
	if (!sim_cfg.checks)
		return;
	if (sim_pages_committed - sim_pages_zapped != mapped)
		sim_fail("pages: %ld committed, %ld zapped, %ld mapped: %ld lost (a commit overwrote a page, or went into a freed table)",
			 sim_pages_committed, sim_pages_zapped, mapped,
			 sim_pages_committed - sim_pages_zapped - mapped);
	if (sim_n_vmas != sim_nvmas)
		sim_fail("VMAs: %ld allocated and not freed, %d in the tree",
			 sim_n_vmas, sim_nvmas);
}

void sim_print_stats(FILE *f, struct sim_counts *c)
{
	static const char *const names[NR_SPF_ABORTS] = {
		"seq_odd", "seq_changed", "no_vma", "not_anon", "no_anon_vma",
		"access", "pgtable", "pte", "ptl", "uffd", "alloc", "other",
	};
	int i;

	fprintf(f, "# accesses: %lu hits, %lu spec, %lu locked, %lu segv, %lu cow\n",
		c->hits, c->spec, c->locked, c->segv, c->cow);
	fprintf(f, "# writer: %lu map, %lu munmap, %lu mprotect, %lu mremap, %lu dontneed; count %lu\n",
		c->writer_ops[0], c->writer_ops[1], c->writer_ops[2],
		c->writer_ops[3], c->writer_ops[5], sim_wseq);
	fprintf(f, "# spf: spec_read %lu spec_write %lu; aborts:",
		spf_stats.count[SPF_STAT_SPEC_READ],
		spf_stats.count[SPF_STAT_SPEC_WRITE]);
	for (i = 0; i < NR_SPF_ABORTS; i++)
		if (spf_stats.count[SPF_STAT_ABORT + i])
			fprintf(f, " %s %lu", names[i],
				spf_stats.count[SPF_STAT_ABORT + i]);
	fprintf(f, "\n# freeing: vma_deferred %lu pgtable_deferred %lu pgtable_sync %lu ptl_deferred %lu\n",
		spf_free_stats.count[SPF_FREE_VMA_DEFERRED],
		spf_free_stats.count[SPF_FREE_PGTABLE_DEFERRED],
		spf_free_stats.count[SPF_FREE_PGTABLE_SYNC],
		spf_free_stats.count[SPF_FREE_PTL_DEFERRED]);
	fprintf(f, "# checks: %lu commits checked against the log, %lu too old; %ld pages committed, %ld zapped\n",
		sim_n_checked, sim_n_unchecked, sim_pages_committed,
		sim_pages_zapped);
}
