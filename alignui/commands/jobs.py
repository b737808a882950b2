"""`python -m alignui jobs list|show|cancel|resume|doctor`: watch and steer training jobs."""

from alignui.commands.output import print_json
from alignui.commands.train import add_set_option, report


def register(subparsers) -> None:
    jobs = subparsers.add_parser("jobs", help="list, show, cancel and resume training jobs")
    commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")

    listing = commands.add_parser("list", help="the jobs, newest first")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(func=run_list)

    show = commands.add_parser("show", help="a job's status, progress, metrics and error")
    show.add_argument("id", type=int)
    show.add_argument("--log", type=int, default=0, metavar="N", help="also print the log's last N lines")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)

    cancel = commands.add_parser("cancel", help="stop a queued or running job and all its processes")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--json", action="store_true")
    cancel.set_defaults(func=run_cancel)

    resume = commands.add_parser("resume", help="continue an ended job from its latest complete checkpoint")
    resume.add_argument("id", type=int)
    add_set_option(resume)
    resume.add_argument("--wait", action="store_true", help="block until the job ends; exit 1 unless it succeeded")
    resume.add_argument("--json", action="store_true")
    resume.set_defaults(func=run_resume)

    doctor = commands.add_parser("doctor", help="diagnose a job from its metrics; --apply queues the fix")
    doctor.add_argument("id", type=int)
    doctor.add_argument("--apply", action="store_true",
                        help="queue a new job with the fixes, from the best checkpoint")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(func=run_doctor)


def run_list(args) -> int:
    from alignui.train import jobs

    found = jobs.list_jobs()
    if args.json:
        print_json({"jobs": found})
        return 0
    if not found:
        print("no jobs yet: start one with `python -m alignui train`")
    for job in found:
        progress = f"{job['step'] or 0}/{job['max_steps'] or '?'}"
        print(f"{job['job_id']:>4}  {job['status']:<11} {job['algorithm']:<6} {progress:>9}  {job['model']}")
    return 0


def run_show(args) -> int:
    from alignui.train import jobs, metrics

    job = jobs.show(args.id)
    if args.json:
        print_json(job)
        return 0
    report(job, args)
    print(f"  step:       {job['step'] or 0}/{job['max_steps'] or '?'} on {job['world_size'] or '?'} process(es)")
    if job["resumed_from_step"] is not None:
        print(f"  resumed at: step {job['resumed_from_step']}")
    for key in ("loss", "eval_loss", "rewards/margins", "rewards/accuracies", "learning_rate"):
        value = metrics.last(job["metrics"], key)
        if value is not None:
            print(f"  {key + ':':<19} {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")
    if args.log:
        print(jobs.log_tail(args.id, args.log))
    return 0


def run_cancel(args) -> int:
    from alignui.train import jobs

    return report(jobs.cancel(args.id), args)


def run_resume(args) -> int:
    from alignui.recipe import assignments
    from alignui.train import jobs

    job = jobs.resume(args.id, assignments.parse_assignments(args.set))
    return report(jobs.wait(job["job_id"]) if args.wait else job, args)


def run_doctor(args) -> int:
    from alignui.train import doctor

    found = doctor.diagnose_job(args.id)
    applied = doctor.apply(args.id) if args.apply and found else None
    if args.json:
        print_json({"job_id": args.id, "diagnoses": [d.to_dict() for d in found], "new_job": applied})
        return 0
    if not found:
        print(f"job {args.id}: nothing to report")
    for diagnosis in found:
        print(f"{diagnosis.title}\n  seen: {diagnosis.evidence}")
        for number, step in enumerate(diagnosis.steps, start=1):
            print(f"  {number}. {step}")
        print(f"  fix: {diagnosis.changes}" + (f", switch to {diagnosis.algorithm}" if diagnosis.algorithm else ""))
    if applied:
        print(f"queued job {applied['job_id']} with the fixes")
    return 0
