/**
 * The hybrid model's contract between compose, the engine and the stack
 * runtime (docs/vm-stack.md). A container labelled `VM_STACK_LABEL=<host>`
 * at the vm isolation level is not a VM of its own: it runs as one more
 * workload inside the VM of the running container `<host>` (the stack VM),
 * whose root has the stack's share mounted at `VM_STACK_SHARE`; each
 * service's root filesystem is made available to the guest under it.
 */
export const VM_STACK_LABEL = 'org.janus.vm-stack';

/** Where the stack VM's container mounts the share the services' roots appear in. */
export const VM_STACK_SHARE = '/janus-stack';

/** The runtime name of the services of a stack VM. */
export const VM_STACK_RUNTIME = 'qemu-stack';
