// Classifying Temporal client errors by type, in one place (never by their message text, which the server may word
// differently between versions). The client maps every gRPC NOT_FOUND, including "workflow execution already
// completed" for a signal or an update, to WorkflowNotFoundError.
import { WorkflowNotFoundError } from '@temporalio/client';

/** The workflow does not exist, or its run has completed: nothing there takes a signal, an update or a query. */
export function isWorkflowGone(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError;
}
