import { expect, type Page, test } from "@playwright/test";
import {
  auditAccessibility,
  fitsPhone,
  inviteAndJoin,
  openProjectsAsAdmin,
  person,
  snap,
  waitForHydration,
  watchConsole,
} from "../helpers";

// A support ticket's round trip as people meet it: a member files a bug report from the
// sidebar (a missing description is refused beside its field), the Admin is notified, opens
// it, replies and it becomes "Answered"; the member is notified, reads the reply and answers
// back, which opens it again; the Admin closes it. The member never sees another's ticket.

async function openSupport(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Support" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Support" })).toBeVisible();
  await waitForHydration(page);
}

for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width > 800 ? 800 : 844 } });

    test("a member files a ticket, the Admin answers and closes it", async ({ page, browser }) => {
      const errors = watchConsole(page);
      const stamp = `${Date.now()}-${width}`;
      const title = `Export stops early ${stamp}`;
      await openProjectsAsAdmin(page);
      const member = await inviteAndJoin(page, browser, person("Ticket Author", "ticket.author", stamp));
      await member.setViewportSize({ width, height: width > 800 ? 800 : 844 });

      // Filing: the description is required, then the ticket opens.
      if (width < 800) await member.getByRole("button", { name: "Menu" }).click();
      await openSupport(member);
      await member.getByRole("button", { name: "New ticket" }).click();
      await member.getByLabel("Type").selectOption("bug");
      await member.getByLabel("Title").fill(title);
      await member.getByRole("button", { name: "File ticket" }).click();
      await expect(member.locator("#field-description-error")).toHaveText("Write something first.");
      await member.getByLabel("Description").fill("The CSV export stops at 1,000 rows.\nSteps: open Logs, export.");
      await member.getByRole("button", { name: "File ticket" }).click();
      await expect(member.getByRole("heading", { level: 1, name: title })).toBeVisible();
      await expect(member.getByText("Open", { exact: true })).toBeVisible();

      // The Admin is told, opens it from the bell and answers.
      await page.goto("/notifications");
      await waitForHydration(page);
      await page.getByRole("link", { name: `New bug report: ${title}` }).click();
      await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
      await waitForHydration(page);
      await expect(page.getByText("The CSV export stops at 1,000 rows.")).toBeVisible();
      await page.getByLabel("Your reply").fill("Thanks — fixed in the next release.");
      await page.getByRole("button", { name: "Send reply" }).click();
      await expect(page.getByText("Reply sent.")).toBeVisible();
      await expect(page.locator(".page-head").getByText("Answered", { exact: true })).toBeVisible();
      await auditAccessibility(page, `ticket-${width}`);
      await snap(page, `support-ticket-${width}`);

      // The member is told, reads the reply and answers back: open again.
      await member.goto("/notifications");
      await waitForHydration(member);
      await member.getByRole("link", { name: `Support replied: ${title}` }).click();
      await expect(member.getByText("Thanks — fixed in the next release.")).toBeVisible();
      await waitForHydration(member);
      await expect(member.getByLabel("Status")).toHaveCount(0);
      await member.getByLabel("Your reply").fill("It happens with 2,000 rows too.");
      await member.getByRole("button", { name: "Send reply" }).click();
      await expect(member.locator(".page-head").getByText("Open", { exact: true })).toBeVisible();
      if (width < 800) await fitsPhone(member, "support ticket");

      // The Admin closes it; the list's filter finds it under Closed.
      await page.reload();
      await waitForHydration(page);
      await expect(page.getByText("It happens with 2,000 rows too.")).toBeVisible();
      await page.getByLabel("Status", { exact: true }).selectOption("closed");
      await page.getByRole("button", { name: "Set status" }).click();
      await expect(page.getByText("Marked closed.")).toBeVisible();
      await page.goto("/support");
      await waitForHydration(page);
      await page.getByLabel("Status").selectOption("closed");
      await expect(page.getByRole("link", { name: title })).toBeVisible();
      await snap(page, `support-list-${width}`);

      // Another member sees none of it.
      const other = await inviteAndJoin(page, browser, person("Other Member", "other.member", stamp));
      await other.goto("/support");
      await waitForHydration(other);
      await expect(other.getByText("No tickets here")).toBeVisible();
      const id = member.url().split("/").pop();
      await other.goto(`/support/${id}`);
      await expect(other.getByText("No such ticket.")).toBeVisible();
      expect(errors).toEqual([]);
    });
  });
}
