/**
 * English texts. Jurisdictions: CN (how SMS is signed there, the Civil Code in the demand letter,
 * the official-channels warning), US (the FDCPA's collection disclosure) and US-CA (plus the
 * Rosenthal Act notice, Cal. Civ. Code § 1812.700). Apostrophes are typographic (’): a plain one
 * quotes in ICU MessageFormat.
 */
import type { LanguagePack } from "./pack";

const DAYS = "{dpd, plural, one {# day} other {# days}}";

export const en: LanguagePack = {
  language: "en",
  script: "latin",
  templates: {
    "reminder.before-due": {
      default: {
        subject: "Payment reminder: {amountDue} due on {dueDate}",
        sms: "Installment {installment} of loan {reference}, {amountDue}, is due on {dueDate} (in {days, plural, one {# day} other {# days}}). Please make sure it is paid on time.",
        body:
          "This is a friendly reminder that installment {installment} of your loan {reference}, for {amountDue}, is due on {dueDate}, in {days, plural, one {# day} other {# days}}.\n\n" +
          "Please make sure the payment reaches us by then. If you have already paid, thank you, and please disregard this message.",
      },
    },
    "reminder.due": {
      default: {
        subject: "Your payment of {amountDue} is due today",
        sms: "Installment {installment} of loan {reference}, {amountDue}, is due today, {dueDate}. Thank you for paying on time.",
        body: "Installment {installment} of your loan {reference}, for {amountDue}, is due today, {dueDate}.\n\nIf you have already paid, thank you, and please disregard this message.",
      },
    },
    "reminder.overdue": {
      default: {
        subject: "Overdue payment on loan {reference}: {amountOverdue}",
        sms: `Loan {reference} is ${DAYS} past due and {amountOverdue} is overdue. Please pay as soon as possible, or contact us to discuss.`,
        body:
          `Our records show that installment {installment} of your loan {reference}, due on {dueDate}, has not been paid in full. The loan is ${DAYS} past due, and the amount overdue is {amountOverdue}.\n\n` +
          "Please pay the overdue amount as soon as possible. Late payment may incur default interest and fees under your loan agreement. If you are having difficulty paying, please contact us to discuss your options.",
      },
    },
    "penalty.assessed": {
      default: {
        subject: "Default interest charged on loan {reference}",
        sms: `Default interest and fees on loan {reference} now total {penalty} (${DAYS} past due). Paying the overdue amount promptly limits further charges.`,
        body:
          `Because installment {installment} of your loan {reference} is ${DAYS} past due, default interest and late fees have been charged under your loan agreement. They now total {penalty}.\n\n` +
          "Paying the overdue amount promptly limits further charges. If you believe this is an error, please contact us.",
      },
    },
    "classification.changed": {
      default: {
        subject: "Status update for loan {reference}",
        body:
          `The risk classification of your loan {reference} has changed from {from} to {to} (${DAYS} past due).\n\n` +
          "This classification is made under the rules that apply to your lender. Bringing the loan up to date may improve it; please contact us if you have any questions.",
      },
    },
    "default.notice": {
      default: {
        subject: "Notice of default: loan {reference}",
        sms: `Loan {reference} is in default (${DAYS} past due, {amountOverdue} overdue). A formal notice has been issued. Please contact us without delay.`,
        body:
          `Your loan {reference} is in default: installment {installment} has remained unpaid for ${DAYS}, beyond the period your loan agreement allows. The amount overdue is {amountOverdue}.\n\n` +
          "We ask you to pay the amount overdue, or to contact us to agree a repayment arrangement, without delay. If the default is not remedied, we may take further steps to recover the debt as the agreement and the law allow.",
      },
    },
    "demand.letter": {
      default: {
        subject: "Letter of demand: loan {reference}",
        body:
          `We write on behalf of {lenderName} concerning your loan {reference}, which is ${DAYS} past due.\n\n` +
          "The amount overdue is {amountOverdue}, and default interest and fees of {penalty} have been charged under the loan agreement.\n\n" +
          "We hereby demand that you pay the amount overdue, together with the default interest and fees, by {payBy}. If payment is not received by that date, our client may commence legal proceedings to recover the debt, with interest and costs, without further notice.\n\n" +
          "If you dispute this debt, or any part of it, please tell us in writing before {payBy}.",
      },
      CN: {
        body:
          `We write on behalf of {lenderName} concerning your loan {reference}, which is ${DAYS} past due.\n\n` +
          "The amount overdue is {amountOverdue}, and default interest and fees of {penalty} have been charged under the loan agreement.\n\n" +
          "Under Article 577 of the Civil Code of the People’s Republic of China, a party that fails to perform its contractual obligations, or performs them other than as agreed, bears liability for breach of contract, such as continuing to perform, taking remedial measures or compensating for losses.\n\n" +
          "We hereby demand that you pay the amount overdue, together with the default interest and fees, by {payBy}. If payment is not received by that date, our client will bring proceedings under the law to recover the whole debt, with interest and costs, without further notice.\n\n" +
          "If you dispute this debt, or any part of it, please tell us in writing before {payBy}.",
      },
    },
    "restructure.proposed": {
      default: {
        subject: "A new repayment plan for loan {reference}",
        sms: "We have proposed a new repayment plan for loan {reference}: {installmentCount, plural, one {# installment} other {# installments}}, the first due on {firstDueDate}. Please review it and accept it if it suits you.",
        body:
          "We have proposed a new repayment schedule (version {scheduleVersion}) for your loan {reference}: {installmentCount, plural, one {# installment} other {# installments}} totalling {totalAmount}, the first due on {firstDueDate}.\n\n" +
          "The new schedule takes effect only once you accept it. Please review it and accept it if it suits you, or contact us to discuss it.",
      },
    },
    "promise.confirmation": {
      default: {
        subject: "We have noted your promise to pay {promiseAmount}",
        sms: "Thank you. We have noted your promise to pay {promiseAmount} on loan {reference} by {promiseDueBy}.",
        body: "Thank you for your commitment. We have recorded your promise to pay {promiseAmount} on your loan {reference} by {promiseDueBy}.\n\nPlease make the payment by that date. If anything changes, please contact us before then.",
      },
    },
    "promise.broken": {
      default: {
        subject: "Promised payment not received: loan {reference}",
        sms: "We have not received the {promiseAmount} you promised to pay on loan {reference} by {promiseDueBy}. Please pay now or contact us.",
        body: "You promised to pay {promiseAmount} on your loan {reference} by {promiseDueBy}, and we have not received the payment in full.\n\nPlease make the payment now, or contact us if you need to agree a new arrangement.",
      },
    },
    "custom.request": {
      default: {
        subject: "About your loan {reference}",
        sms: "Regarding loan {reference}: the amount now due is {amountDue}. Please pay, or contact us, at your earliest convenience.",
        body: "We are writing about your loan {reference}. The amount now due is {amountDue}.\n\nPlease make the payment, or contact us if you have any questions, at your earliest convenience.",
      },
    },
    "holiday.confirmation": {
      default: {
        subject: "Your payment holiday on loan {reference}",
        sms: "Your payment holiday on loan {reference} is confirmed: nothing is due until {holidayEnd}. Your next payment is due on {firstDueDate}.",
        body:
          "We confirm the payment holiday agreed on your loan {reference}. Nothing is due until {holidayEnd}, and no reminders or default interest will be charged for the deferred installments until then.\n\n" +
          "Your repayment schedule now has {installmentCount, plural, one {# installment} other {# installments}} totalling {totalAmount}; the first is due on {firstDueDate}. If your circumstances change, please contact us.",
      },
    },
    "settlement.offer": {
      default: {
        subject: "An offer to settle loan {reference}",
        sms: "We offer to settle loan {reference} for {settlementAmount} if paid by {settlementDeadline}. Contact us with any questions.",
        body:
          "You currently owe {totalAmount} on your loan {reference}. We offer to settle the loan in full for {settlementAmount} if the payment reaches us by {settlementDeadline}; the rest would then be forgiven and the loan closed as settled.\n\n" +
          "After that date the offer lapses and the loan continues as before. If you wish to accept, please pay by then, or contact us to arrange it.",
      },
    },
    "settlement.confirmation": {
      default: {
        subject: "Loan {reference} is settled",
        sms: "Loan {reference} is settled: we received {settlementAmount} and forgave {forgivenAmount}. Thank you.",
        body: "We confirm that your loan {reference} is settled. We received {settlementAmount}, and the remaining {forgivenAmount} has been forgiven. Nothing more is owed on this loan.\n\nThank you. Please keep this letter for your records.",
      },
    },
    "arrears.confirmation": {
      default: {
        subject: "Your arrears plan on loan {reference}",
        sms: "Your arrears plan on loan {reference} is agreed: {totalAmount} in {partCount, plural, one {# part} other {# parts}}, the first of {nextPartAmount} by {nextPartDate}, besides your regular installments.",
        body:
          "We confirm the arrangement agreed to repay the {totalAmount} in arrears on your loan {reference} in {partCount, plural, one {# part} other {# parts}}. The first, {nextPartAmount}, is due by {nextPartDate}; your regular installments remain due as scheduled.\n\n" +
          "While you keep to the plan we will not send reminders for the arrears. Default interest continues to accrue under your loan agreement. If a part is missed, the plan ends; please contact us first if you cannot pay.",
      },
    },
    "arrears.broken": {
      default: {
        subject: "Your arrears plan on loan {reference} has ended",
        sms: "The part of your arrears plan on loan {reference} due by {nextPartDate} was not paid ({nextPartAmount} short), so the plan has ended. Please contact us.",
        body:
          "The part of your arrears plan on loan {reference} due by {nextPartDate} was not paid in full: {nextPartAmount} was missing. The plan has therefore ended, and the arrears are due under your loan agreement.\n\n" +
          "Please pay the amount overdue, or contact us to discuss your circumstances.",
      },
    },
  },
  common: {
    lenderName: "Your lender",
    greeting: "Dear customer,",
    closing: "Yours sincerely,\n{lenderName}",
    referenceLine: "Loan reference: {reference} (loan no. {loanId})",
    tokenAmount: "{amount} {symbol}",
    dateLine: "Date: {date}",
    labels: {
      reference: "Loan reference",
      amountDue: "Amount due",
      amountOverdue: "Amount overdue",
      penalty: "Default interest and fees",
      promiseAmount: "Promised amount",
      totalAmount: "Total of the new schedule",
      dueDate: "Due date",
      promiseDueBy: "Promised by",
      firstDueDate: "First due date",
      payBy: "Pay by",
      dpd: "Days past due",
      installment: "Installment",
      offsetDays: "Days to the due date",
      classificationFrom: "Previous classification",
      classificationTo: "Classification",
      scheduleVersion: "Schedule version",
      installmentCount: "Installments",
    },
    values: {
      installment: "No. {installment}",
      dpd: DAYS,
      classification: "{name, select, normal {Normal} special_mention {Special mention} substandard {Substandard} doubtful {Doubtful} loss {Loss} other {{name}}}",
      installmentCount: "{count, plural, one {# installment} other {# installments}}",
    },
    smsFrame: { default: "{lenderName}: {text}", CN: "【{lenderName}】{text}" },
    disclosure: {
      default: null,
      CN: "Please pay only through the official channels named in your loan agreement, and beware of fraud. If you dispute any amount above, please contact us promptly.",
      US: "This is an attempt to collect a debt, and any information obtained will be used for that purpose.",
      "US-CA":
        "This is an attempt to collect a debt, and any information obtained will be used for that purpose.\n\n" +
        "The state Rosenthal Fair Debt Collection Practices Act and the federal Fair Debt Collection Practices Act require that, except under unusual circumstances, collectors may not contact you before 8 a.m. or after 9 p.m. They may not harass you by using threats of violence or arrest or by using obscene language. Collectors may not use false or misleading statements or call you at work if they know or have reason to know that you may not receive personal calls at work. For the most part, collectors may not tell another person, other than your attorney or spouse, about your debt. Collectors may contact another person to confirm your location or enforce a judgment. For more information about debt collection activities, you may contact the Federal Trade Commission at 1-877-FTC-HELP or www.ftc.gov.",
    },
    addressSheetRef: "For the letter on loan {reference}",
  },
};
