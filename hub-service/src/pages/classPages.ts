import type { AssignmentView, ClassMembers, ClassView } from '@envhub/schema';
import { html, layout, type Html } from './html.js';

const names = (members: ClassMembers): Html =>
  html`${
    [...members.users, ...members.groups.map(group => `group ${group}`)].join(
      ', '
    ) || '—'
  }`;

const when = (iso: string | null): string =>
  iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : '—';

const counted = (n: number, what: string): string =>
  `${n} ${what}${n === 1 ? '' : 's'}`;

/** e.g. `2 students submitted (3 submissions)`. */
const submittedBy = (a: AssignmentView): string =>
  `${counted(a.submittedBy ?? 0, 'student')} submitted (${counted(a.submissionCount ?? 0, 'submission')})`;

function assignmentRow(view: ClassView, a: AssignmentView): Html {
  const latest = a.submissions.at(-1);
  const state = latest
    ? `submitted ${when(latest.timestamp)}${latest.late ? ' (late)' : ''}${a.feedback.length ? ', feedback available' : ''}`
    : 'not submitted';
  return html`<tr data-assignment="${a.id}">
    <td>${a.id}</td>
    <td>${when(a.releasedAt)}</td>
    <td>${when(a.dueAt)}</td>
    <td>${a.notebooks.join(', ')}</td>
    ${
      view.role === 'instructor'
        ? html`<td class="envhub-submitted">${submittedBy(a)}</td>`
        : html`<td class="envhub-your-state">${state}</td>`
    }
  </tr>`;
}

/** Lists comma-separated in a form field, e.g. `alice, bob`. */
const listField = (members: string[]): string => members.join(', ');

function membersForm(prefix: string, xsrf: string, view: ClassView): Html {
  const field = (name: string, label: string, value: string[]) =>
    html`<label
      >${label} <input name="${name}" value="${listField(value)}" /><small
        >comma-separated Hub names</small
      ></label
    >`;
  return html`<form
    id="envhub-class-members"
    method="post"
    action="${prefix}classes/${view.id}/members"
  >
    <input type="hidden" name="_xsrf" value="${xsrf}" />
    ${field('instructor_users', 'Instructors (users)', view.instructors.users)}
    ${field(
      'instructor_groups',
      'Instructors (groups)',
      view.instructors.groups
    )}
    ${field('student_users', 'Students (users)', view.students.users)}
    ${field('student_groups', 'Students (groups)', view.students.groups)}
    <button type="submit">Save members</button>
  </form>`;
}

/** A class as its members see it: role, links, assignments; for instructors the members and the course directory. */
export function classPage(
  prefix: string,
  xsrf: string,
  view: ClassView,
  assignments: AssignmentView[]
): string {
  const teaches = view.role === 'instructor';
  const body = html`<h1>${view.title}</h1>
    <p>
      Class <code>${view.id}</code>. You are
      <span class="envhub-class-role">${view.role}</span>.
    </p>
    <p>Instructors: ${names(view.instructors)}</p>
    ${teaches ? html`<p>Students: ${names(view.students)}</p>` : ''}
    <section id="envhub-class-launch">
      <h2>Class environment</h2>
      ${
        view.launchUrl
          ? html`<p>
                <a id="envhub-class-launch-link" href="${view.launchUrl}"
                  >Launch the class environment</a
                >
                (<code>${view.repo}</code> at
                <code>${view.ref ?? 'HEAD'}</code>)
              </p>
              <p>
                Share this link with the class.
                ${
                  teaches
                    ? html`Instructors' servers started from it also mount the
                        course directory at <code>${view.courseRoot}</code>,
                        where nbgrader keeps <code>source/</code>,
                        <code>release/</code>, <code>submitted/</code>,
                        <code>autograded/</code>, <code>feedback/</code> and the
                        gradebook; students' servers fetch and submit through
                        the Assignments panel and envhub's Class section.`
                    : html`Fetch and submit assignments from the Assignments
                      panel or envhub's Class section in the server.`
                }
              </p>`
          : html`<p>
              No class environment yet.
              ${
                teaches
                  ? 'Set one below (a repository whose requirements.txt installs nbgrader).'
                  : ''
              }
            </p>`
      }
    </section>
    <section>
      <h2>Assignments</h2>
      ${
        assignments.length === 0
          ? html`<p id="envhub-no-assignments">Nothing is released yet.</p>`
          : html`<table id="envhub-assignments">
              <thead>
                <tr>
                  <th>Assignment</th>
                  <th>Released</th>
                  <th>Due</th>
                  <th>Notebooks</th>
                  <th>${teaches ? 'Submitted' : 'Your work'}</th>
                </tr>
              </thead>
              <tbody>
                ${assignments.map(a => assignmentRow(view, a))}
              </tbody>
            </table>`
      }
    </section>
    ${
      teaches
        ? html`<section>
            <h2>Members</h2>
            <p>
              Membership is read from the Hub at every request: people joining
              or leaving a group join or leave the class at once.
            </p>
            ${membersForm(prefix, xsrf, view)}
          </section>`
        : ''
    }`;
  return layout({ title: view.title, prefix, body, xsrf });
}

/** The page of a class id that does not exist (or that the user cannot see): a form to create it. */
export function newClassPage(prefix: string, xsrf: string, id: string): string {
  const body = html`<h1>No class ${id}</h1>
    <p>
      envhub has no class <code>${id}</code> that you can see. Create it and you
      become its first instructor; a learning platform's course maps to the
      groups <code>${id}-instructors</code> and <code>${id}-students</code>.
    </p>
    ${classForm(prefix, xsrf, {
      id,
      instructorGroups: `${id}-instructors`,
      studentGroups: `${id}-students`
    })}`;
  return layout({ title: `Class ${id}`, prefix, body, xsrf });
}

/** The form that creates a class (POST classes). */
export function classForm(
  prefix: string,
  xsrf: string,
  values: { id?: string; instructorGroups?: string; studentGroups?: string }
): Html {
  return html`<form
    id="envhub-class-form"
    method="post"
    action="${prefix}classes"
  >
    <input type="hidden" name="_xsrf" value="${xsrf}" />
    <label
      >Class id <input name="id" required value="${values.id ?? ''}" /><small
        >e.g. intro101: letters, digits, '_' or '-'</small
      ></label
    >
    <label
      >Title <input name="title" placeholder="Introduction to programming"
    /></label>
    <label
      >Instructor groups
      <input name="instructor_groups" value="${values.instructorGroups ?? ''}"
    /></label>
    <label
      >Student groups
      <input name="student_groups" value="${values.studentGroups ?? ''}"
    /></label>
    <label
      >Student users <input name="student_users" /><small
        >comma-separated Hub names</small
      ></label
    >
    <label
      >Class environment
      <input name="repo" placeholder="https://forge.example.org/course/env.git"
    /></label>
    <label>Ref <input name="ref" placeholder="main" /></label>
    <button type="submit">Create class</button>
  </form>`;
}

/** The home page's list of the user's classes, with the form to create one. */
export function classesSection(
  prefix: string,
  xsrf: string,
  classes: ClassView[]
): Html {
  return html`<section id="envhub-classes-section">
    <h2>Your classes</h2>
    <p>
      A class hands out nbgrader assignments: instructors release them and
      collect the work, students fetch and submit from their servers.
    </p>
    ${
      classes.length === 0
        ? html`<p id="envhub-no-classes">No classes yet.</p>`
        : html`<ul id="envhub-classes">
            ${classes.map(
              c =>
                html`<li>
                  <a href="${c.pageUrl}">${c.title}</a> (<code>${c.id}</code>,
                  ${c.role})
                </li>`
            )}
          </ul>`
    }
    <details>
      <summary>Create a class</summary>
      ${classForm(prefix, xsrf, {})}
    </details>
  </section>`;
}
