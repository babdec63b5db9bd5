"""Where the plan screens are reached from: main window actions, the Refills tab, the
customer row's context menu, and the profile's Enroll / Record order buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pharmdesk.ui.desk import DeskContext
from pharmdesk.ui.enrollment.wizard import CUSTOMER_PAGE, PLAN_PAGE, EnrollmentWizard
from pharmdesk.ui.main_window import MainWindow
from pharmdesk.ui.plan_catalog import PlanCatalogDialog
from pharmdesk.ui.profile_dialog import ProfileDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD


def _setup(desk: DeskContext) -> tuple[str, str]:
    plan = desk.call(
        "addPlan",
        {
            "name": "Hypertension Care",
            "medications": ["Amlodipine 5mg"],
            "frequency": "monthly",
            "price": 15000,
        },
    )["planId"]
    customer = desk.call(
        "addProviderCustomer",
        {"name": "Kemi Bello", "phone": "08031112222", "noKnownAllergies": True},
    )["customerId"]
    return plan, customer


def _windows(kind: type) -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_main_window_actions_and_refills_tab(qtbot, main_window: MainWindow) -> None:
    plan, customer = _setup(main_window.desk)
    main_window.desk.call("addCustomerPlan", {"customerId": customer, "planId": plan})
    main_window.start()
    main_window.show()
    titles = [main_window.tabs.tabText(i) for i in range(main_window.tabs.count())]
    assert "Refills" in titles
    panel = main_window.refill_panel
    assert panel in main_window.panels
    assert [r["id"] for r in panel.model.rows()] == [customer]  # due today
    assert main_window.plans_action.isVisible() and main_window.enroll_action.isEnabled()
    main_window.enroll_action.trigger()
    [wizard] = _windows(EnrollmentWizard)
    assert wizard.currentId() == CUSTOMER_PAGE
    wizard.reject()
    main_window.plans_action.trigger()
    [catalog] = _windows(PlanCatalogDialog)
    assert catalog.model.rowCount() == 1
    catalog.reject()
    main_window.lock()
    assert panel.model.rowCount() == 0  # no patient rows behind the lock
    assert not main_window.enroll_action.isEnabled()


def test_plans_action_is_for_admins_only(qtbot, main_window: MainWindow) -> None:
    desk = main_window.desk
    desk.call(
        "addStaff",
        {
            "username": "femi",
            "fullName": "Femi Ola",
            "role": "frontdesk",
            "password": "femi likes long walks 2026",
        },
    )
    main_window.start()
    assert main_window.plans_action.isVisible()
    main_window.sign_out()
    desk.sign_in("femi", "femi likes long walks 2026")
    assert not main_window.plans_action.isVisible()
    desk.sign_in(ADMIN, ADMIN_PASSWORD)
    assert main_window.plans_action.isVisible()


def test_row_context_menu_enrolls_that_customer(qtbot, main_window: MainWindow) -> None:
    _plan, customer = _setup(main_window.desk)
    main_window.start()
    main_window.show()
    rect = main_window.table.visualRect(main_window.model.index(0, 1))
    main_window._customer_row_menu(rect.center())
    menu = main_window.row_menu
    assert [a.text() for a in menu.actions()] == ["&Open profile", "&Enroll in plan…"]
    menu.actions()[1].trigger()
    menu.close()
    [wizard] = _windows(EnrollmentWizard)
    assert wizard.currentId() == PLAN_PAGE and wizard.flow.customer_id == customer
    wizard.reject()


def test_profile_buttons_enroll_and_record_order(qtbot, signed_in_desk: DeskContext) -> None:
    plan, customer = _setup(signed_in_desk)
    profile = ProfileDialog(signed_in_desk, customer)
    qtbot.addWidget(profile)
    profile.show()
    assert profile.details["plans"] == []
    qtbot.mouseClick(profile.enroll_button, Qt.MouseButton.LeftButton)
    wizard = profile.wizard
    assert wizard.currentId() == PLAN_PAGE
    item = wizard.plan_page.plan_item(plan)
    assert item is not None
    wizard.plan_page.list.setCurrentItem(item)
    wizard.next()
    wizard.next()
    wizard.button(wizard.WizardButton.CommitButton).click()
    [enrolled] = profile.details["plans"]  # the profile re-read itself
    assert enrolled["status"] == "active" and enrolled["nextDelivery"] == "2026-04-18"
    wizard.done_page.profile_button.click()
    assert not wizard.isVisible()

    qtbot.mouseClick(profile.order_button, Qt.MouseButton.LeftButton)
    order = profile.order
    assert order.plan.currentData()["subscriptionId"] == enrolled["subscriptionId"]
    assert order.amount.value() == 15000
    qtbot.mouseClick(order.save_button, Qt.MouseButton.LeftButton)
    assert profile.details["stats"]["totalOrders"] == 1
    assert profile.details["plans"][0]["nextDelivery"] == "2026-05-18"


def test_archived_profile_has_the_plan_buttons_disabled(qtbot, signed_in_desk: DeskContext) -> None:
    _plan, customer = _setup(signed_in_desk)
    signed_in_desk.call("archiveCustomer", {"customerId": customer})
    profile = ProfileDialog(signed_in_desk, customer)
    qtbot.addWidget(profile)
    assert not profile.enroll_button.isEnabled() and not profile.order_button.isEnabled()
